"""Readers: each turns one kind of input into profile data that says where each key came
from, so that a problem or a finding can name the file and the line.

Today one reader exists, for YAML profiles. Readers of evaluation results and training
data join it here, in `READERS`, and the pipeline composes what they read; nothing else
needs to learn about a new kind of input.
"""

from pathlib import Path

from ftadvisor.errors import UserError
from ftadvisor.inputs import profile
from ftadvisor.inputs.base import STDIN, Input, ProfileData, Reader

__all__ = ["READERS", "Input", "ProfileData", "Reader", "expand", "read"]

PROFILE_SUFFIXES = (".yaml", ".yml")

READERS: dict[str, Reader] = {"profile": profile.read}
"""Every reader, by the kind of input it reads."""


def read(source: Input, kind: str = "profile") -> ProfileData:
    return READERS[kind](source)


def expand(sources: list[str]) -> tuple[list[Input], bool]:
    """The inputs that paths name (a directory: its profiles, sorted), and whether they
    make a batch: several inputs, or any directory, however many it holds."""
    found: list[Input] = []
    batch = len(sources) > 1
    for source in sources:
        path = Path(source)
        try:
            directory = source != STDIN and path.is_dir()
        except OSError:  # a name too long, say: the reader reports it as this input's
            directory = False
        if directory:
            try:
                files = sorted(
                    p for p in path.iterdir() if p.suffix in PROFILE_SUFFIXES and p.is_file()
                )
            except OSError as exc:
                raise UserError(
                    f"{source}: cannot list this directory: {exc.strerror or exc}"
                ) from None
            if not files:
                raise UserError(f"{source}: no profiles (*.yaml, *.yml) in this directory")
            found.extend(Input(str(p)) for p in files)
            batch = True
        else:
            found.append(Input(source))
    if sum(i.is_stdin for i in found) > 1:
        raise UserError("standard input ('-') can be read only once")
    return found, batch
