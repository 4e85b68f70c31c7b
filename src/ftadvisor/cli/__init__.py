"""The `ftadvisor` command: argument parsing only; everything else is the library's."""
