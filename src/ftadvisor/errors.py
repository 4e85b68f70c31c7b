"""One error hierarchy: everything a user can cause is a `UserError`.

The CLI has a single handler that turns these into a message on stderr and an exit
code; the library raises them unchanged so that embedding tools can do the same.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import NamedTuple

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with terminal control characters shown as escapes (`\\x1b`), so that a
    profile's keys and values cannot clear the screen or retitle the window when a
    message or report prints them; newlines and tabs stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class ExitCode(IntEnum):
    """Exit statuses, per the public contract."""

    OK = 0
    GATE_FAILED = 1
    BAD_INPUT = 2
    INTERNAL_ERROR = 3
    INTERRUPTED = 130


class Problem(NamedTuple):
    """One thing wrong with an input, located as precisely as the input allows."""

    message: str
    file: str | None = None
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.file or "<profile>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class UserError(Exception):
    """An error the user can fix; the message is meant to be read by them."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProfileError(UserError):
    """A profile that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[ProfileError], tuple[tuple[Problem, ...]]]:
        # Pickled from worker processes: rebuilt from the problems, not from the message.
        return type(self), (self.problems,)


class RulesError(Exception):
    """A shipped or user-supplied rule file is malformed.

    Not a `UserError`: a broken packaged rule is a bug in ftadvisor (exit 3), and
    tools that load their own rules catch this explicitly.
    """
