"""The readers of evaluation results: failures tallied from what a team has on disk.

One module per input format, each with the same small interface: `NAME`, `claims(path,
head)` (is this file mine? from its first bytes) and `read(path, options)` (the `Row`s
it holds). `FORMATS` lists them in the order detection asks; `--input-format` skips
the asking. What a failed check counts as is data (`checks.yaml`); `results.count`
turns rows into the tally.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Literal

from ftadvisor.errors import UserError
from ftadvisor.inputs.evals.classes import ANSWERS, Classes, Kind, parse_map, question
from ftadvisor.inputs.evals.results import Options, Read, Tally, count
from ftadvisor.inputs.evals.source import head

__all__ = [
    "ANSWERS",
    "FORMATS",
    "Classes",
    "InputFormat",
    "Kind",
    "Options",
    "Tally",
    "detect",
    "parse_map",
    "parse_thresholds",
    "question",
    "read",
    "tally",
]

InputFormat = Literal["promptfoo", "deepeval", "inspect", "ragas", "sheet"]
FORMATS: tuple[InputFormat, ...] = ("promptfoo", "deepeval", "inspect", "ragas", "sheet")
"""The input formats, in the order detection asks them whether a file is theirs."""

Ask = Callable[[str, int], Kind | None]
"""Asked, on a terminal, what a check that can fail either way counts as: its name and
how many cases failed it; None leaves it unclassified."""


_MODULES: dict[InputFormat, str] = {
    "promptfoo": "promptfoo",
    "deepeval": "deepeval",
    "inspect": "inspect_log",
    "ragas": "ragas",
    "sheet": "sheet",
}


def _reader(name: InputFormat) -> ModuleType:
    return importlib.import_module(f"{__name__}.{_MODULES[name]}")


def detect(path: Path) -> InputFormat:
    """The format of a results file, from its first bytes and its name."""
    start = head(path)
    for name in FORMATS:
        if _reader(name).claims(path, start):
            return name
    raise UserError(
        f"{path}: not a results file ftadvisor knows (promptfoo JSON/JSONL/database, "
        "DeepEval test run, Inspect log, Ragas CSV, a labelled CSV/TSV/JSONL sheet); "
        "name its format with --input-format"
    )


def read(
    paths: Iterable[str], options: Options, input_format: InputFormat | None = None
) -> list[Read]:
    reads = []
    for name in paths:
        path = Path(name)
        fmt = input_format or detect(path)
        reader = _reader(fmt)
        found = Read(path=name, format=fmt)
        found.add(reader.read(path, options))
        notes = getattr(reader, "notes", None)
        if notes is not None:
            found.notes += notes(found)
        reads.append(found)
    return reads


def parse_thresholds(items: list[str]) -> dict[str, float]:
    """`--threshold METRIC=VALUE` entries, or a `UserError` naming the one that is wrong."""
    found: dict[str, float] = {}
    for item in items:
        name, _, value = item.rpartition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not name.strip() or not 0 <= number <= 1:
            raise UserError(f"--threshold {item!r}: expected METRIC=VALUE, VALUE from 0 to 1")
        found[name.strip()] = number
    return found


def tally(
    paths: Iterable[str],
    *,
    options: Options | None = None,
    overrides: dict[str, Kind] | None = None,
    input_format: InputFormat | None = None,
    ask: Ask | None = None,
) -> Tally:
    """Failures by kind from results files; `ask` classes what the map leaves open."""
    reads = read(paths, options or Options(), input_format)
    classes = Classes.packaged(overrides)
    result = count(reads, classes)
    if ask is None:
        return result
    answers: dict[str, Kind] = {}
    for check in result.checks:
        if check.kind == "ask":
            kind = ask(check.name, check.failed)
            if kind is not None:
                answers[check.name] = kind
    return count(reads, classes.with_overrides(answers)) if answers else result
