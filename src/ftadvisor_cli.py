"""The `ftadvisor` console script, outside the package on purpose.

Importing `ftadvisor` loads pydantic and the rules engine, about a tenth of a second
in which Ctrl-C would otherwise end the process with a traceback (or, inside a C
extension's import, an ImportError) instead of the contract's exit 130. This module
imports nothing heavy itself, so the interruption can be caught around that import.
"""

import os
import signal
import sys


def main() -> None:
    interrupted = False

    def on_interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGINT)
    watching = previous is signal.default_int_handler  # not when SIGINT is ignored
    if watching:
        signal.signal(signal.SIGINT, on_interrupt)
    try:
        from ftadvisor.cli.app import main as run
    except BaseException:
        if not interrupted:
            raise
        try:
            sys.stderr.write("\nftadvisor: interrupted\n")
            sys.stderr.flush()
        finally:
            os._exit(130)
    finally:
        if watching:
            signal.signal(signal.SIGINT, previous)
    run()
