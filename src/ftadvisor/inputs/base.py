"""What every reader shares: the input it reads, the data it returns, its interface."""

import dataclasses
from typing import Any, Protocol

from ftadvisor.profile.yaml import Document

STDIN = "-"
"""How a command line names standard input."""


@dataclasses.dataclass(frozen=True, slots=True)
class Input:
    """One input as the user named it: a path, or `-` for standard input."""

    given: str

    @property
    def name(self) -> str:
        """How reports and messages name it: the path as given, `<stdin>` for `-`."""
        return "<stdin>" if self.given == STDIN else self.given

    @property
    def is_stdin(self) -> bool:
        return self.given == STDIN


@dataclasses.dataclass(frozen=True, slots=True)
class ProfileData:
    """Profile keys read from one input, not yet checked against the contract."""

    name: str
    """The input's display name (`Input.name`)."""
    document: Document
    """The data, with the line of every key path."""

    @property
    def data(self) -> Any:
        return self.document.data


class Reader(Protocol):
    """Turns one input into profile data; every problem is a `ProfileError` naming the
    input, and the line and key where it can."""

    def __call__(self, source: Input) -> ProfileData: ...
