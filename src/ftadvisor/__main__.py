from ftadvisor.cli.app import main

main()
