"""The reader of YAML profiles, from a file or standard input."""

import sys
from pathlib import Path

from ftadvisor.errors import Problem, ProfileError
from ftadvisor.inputs.base import Input, ProfileData
from ftadvisor.profile.yaml import decode, parse


def read(source: Input) -> ProfileData:
    name = source.name
    if source.is_stdin:
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = Path(source.given).read_bytes()
        except IsADirectoryError:
            raise ProfileError([Problem("is a directory, not a profile file", name)]) from None
        except FileNotFoundError:
            raise ProfileError([Problem("no such file", name)]) from None
        except OSError as exc:
            raise ProfileError([Problem(f"cannot be read: {exc.strerror or exc}", name)]) from None
    return ProfileData(name, parse(decode(raw, name), name))


def from_text(text: str, name: str) -> ProfileData:
    return ProfileData(name, parse(text, name))
