"""The reader of YAML profiles, from a file or standard input."""

import sys

from ftadvisor.errors import Problem, ProfileError
from ftadvisor.files import read_at_most, read_bounded
from ftadvisor.inputs.base import Input, ProfileData
from ftadvisor.profile.yaml import MAX_BYTES, decode, parse


def read(source: Input) -> ProfileData:
    name = source.name
    if source.is_stdin:
        if sys.stdin is None:
            raise ProfileError([Problem("standard input is closed", name)])
        try:
            raw = read_at_most(sys.stdin.buffer, MAX_BYTES)
        except OSError as exc:
            raise ProfileError([Problem(f"cannot be read: {exc.strerror or exc}", name)]) from None
    else:
        try:
            raw = read_bounded(source.given, MAX_BYTES)
        except IsADirectoryError:
            raise ProfileError([Problem("is a directory, not a profile file", name)]) from None
        except FileNotFoundError:
            raise ProfileError([Problem("no such file", name)]) from None
        except OSError as exc:
            raise ProfileError([Problem(f"cannot be read: {exc.strerror or exc}", name)]) from None
    return ProfileData(name, parse(decode(raw, name), name))


def from_text(text: str, name: str) -> ProfileData:
    return ProfileData(name, parse(text, name))
