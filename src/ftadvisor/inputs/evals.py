"""The reader of evaluation results: failures tallied from what the team has on disk.

Today one input format is read, the labelled sheet (CSV or JSONL, one row per test
case, a column naming what went wrong): the generic path that spreadsheet exports of
any tool can take. Each failed check's name is classed by `checks.yaml` (data, with
its sources) as information, behavior, ignore or ask; `--map NAME=KIND` wins. Readers
of promptfoo, DeepEval, Ragas and Inspect results are to join this module.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from ftadvisor.errors import UserError
from ftadvisor.files import read_bounded
from ftadvisor.inputs.base import ProfileData
from ftadvisor.profile.yaml import Document

Kind = Literal["information", "behavior", "ignore", "ask"]
KINDS: tuple[Kind, ...] = ("information", "behavior", "ignore", "ask")
MAX_FILE_BYTES = 200 * 1024 * 1024
LABEL_COLUMNS = ("label", "failure", "failure_mode", "category", "kind", "error_type")
"""Columns tried, in order, when `--label-column` is not given."""
_SEPARATORS = re.compile(r"[-\s.]+")


def _key(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().lower())


@dataclasses.dataclass(frozen=True, slots=True)
class Classes:
    """Check names and what their failures count as; `passes`: labels of a passed case."""

    kinds: dict[str, Kind]
    passes: frozenset[str]

    @classmethod
    def packaged(cls, overrides: dict[str, Kind] | None = None) -> Classes:
        from ftadvisor.bundle import parsed

        path = Path(__file__).with_name("checks.yaml")
        data, _ = parsed(path.read_bytes(), str(path))
        kinds: dict[str, Kind] = {}
        for kind in KINDS:
            for name in data.get(kind, []):
                kinds[_key(str(name))] = kind
        for name, kind in (overrides or {}).items():
            kinds[_key(name)] = kind
        passes = frozenset(_key(str(n)) for n in data.get("pass", []))
        return cls(kinds, passes - set(overrides or {}))

    def kind(self, name: str) -> Kind:
        return self.kinds.get(_key(name), "ask")


def parse_map(items: list[str]) -> dict[str, Kind]:
    """`--map NAME=KIND` entries, or a `UserError` naming the one that is wrong."""
    found: dict[str, Kind] = {}
    for item in items:
        name, _, kind = item.partition("=")
        if not name or kind not in ("information", "behavior", "ignore"):
            raise UserError(
                f"--map {item!r}: expected NAME=information, NAME=behavior or NAME=ignore"
            )
        found[name] = kind  # type: ignore[assignment]
    return found


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    name: str
    kind: Kind
    failed: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    path: str
    format: str
    tests: int
    failed: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Tally:
    """Failures by kind across the inputs, with what could not be counted."""

    inputs: tuple[Source, ...]
    information: int
    behavior: int
    unclassified: int
    excluded: int
    checks: tuple[Check, ...]

    def document(self) -> dict[str, Any]:
        """The `ftadvisor tally --format json` shape."""
        return {
            "inputs": [dataclasses.asdict(s) for s in self.inputs],
            "failures": {"information": self.information, "behavior": self.behavior},
            "unclassified": self.unclassified,
            "excluded": self.excluded,
            "checks": [dataclasses.asdict(c) for c in self.checks],
        }

    def as_profile_data(self) -> ProfileData:
        data = {"failures": {"information": self.information, "behavior": self.behavior}}
        names = ", ".join(s.path for s in self.inputs)
        return ProfileData(names, Document(data, {}, {}))


def _rows(path: Path) -> tuple[str, list[dict[str, Any]]]:
    try:
        raw = read_bounded(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UserError(f"{path}: more than the {MAX_FILE_BYTES:,} bytes read here")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 (byte {exc.start})") from None
    if path.suffix.lower() == ".jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise UserError(f"{path}:{number}: not a JSON line: {exc}") from None
            if not isinstance(row, dict):
                raise UserError(f"{path}:{number}: expected a JSON object per line")
            rows.append(row)
        return "sheet-jsonl", rows
    if path.suffix.lower() in (".csv", ".tsv"):
        dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        try:
            return "sheet-csv", list(csv.DictReader(io.StringIO(text), dialect=dialect))
        except csv.Error as exc:
            raise UserError(f"{path}: not a readable CSV: {exc}") from None
    raise UserError(f"{path}: expected a .csv, .tsv or .jsonl results sheet")


def read_sheet(
    path: str | os.PathLike[str], label_column: str | None, classes: Classes
) -> tuple[Source, Counter[str]]:
    """One labelled sheet: its summary and the failed checks it names, counted."""
    source = Path(path)
    fmt, rows = _rows(source)
    columns = list(rows[0]) if rows else []
    column = label_column or next((c for c in LABEL_COLUMNS if c in columns), None)
    if column is None or (rows and column not in columns):
        raise UserError(
            f"{source}: no label column ({label_column or ', '.join(LABEL_COLUMNS)}); "
            f"its columns are {', '.join(columns) or 'none'}: pass --label-column"
        )
    failed: Counter[str] = Counter()
    for row in rows:
        label = str(row.get(column) if row.get(column) is not None else "")
        if _key(label) in classes.passes:
            continue
        failed[label.strip()] += 1
    return Source(
        path=os.fspath(path), format=fmt, tests=len(rows), failed=sum(failed.values())
    ), failed


def tally(
    paths: list[str],
    *,
    label_column: str | None = None,
    overrides: dict[str, Kind] | None = None,
) -> Tally:
    classes = Classes.packaged(overrides)
    inputs: list[Source] = []
    counts: Counter[str] = Counter()
    for path in paths:
        source, failed = read_sheet(path, label_column, classes)
        inputs.append(source)
        counts.update(failed)
    by_kind: Counter[str] = Counter()
    checks = []
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        kind = classes.kind(name)
        by_kind[kind] += count
        checks.append(Check(name=name, kind=kind, failed=count))
    return Tally(
        inputs=tuple(inputs),
        information=by_kind["information"],
        behavior=by_kind["behavior"],
        unclassified=by_kind["ask"],
        excluded=by_kind["ignore"],
        checks=tuple(checks),
    )
