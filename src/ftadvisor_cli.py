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

    def quiet(unraisable: "sys.UnraisableHookArgs") -> None:
        # A Ctrl-C that lands in a callback the import machinery runs (a module lock's
        # weakref callback) cannot propagate: Python prints it as "Exception ignored"
        # with a traceback and goes on. It is still an interruption: exit 130 below.
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)

    previous = signal.getsignal(signal.SIGINT)
    watching = previous is signal.default_int_handler  # not when SIGINT is ignored
    hook = sys.unraisablehook
    if watching:
        signal.signal(signal.SIGINT, on_interrupt)
        sys.unraisablehook = quiet
    try:
        from ftadvisor.cli.app import main as run
    except BaseException:
        if not interrupted:
            raise
        _interrupted()
    finally:
        if watching:
            signal.signal(signal.SIGINT, previous)
            sys.unraisablehook = hook
    if interrupted:
        _interrupted()
    run()


def _interrupted() -> None:
    try:
        sys.stderr.write("\nftadvisor: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(130)
