"""A labelled sheet: CSV, TSV or JSON Lines, one row per test case, a column naming
what went wrong (a pass label, or the failure's kind or check; pass labels are
`checks.yaml`'s `pass`, an empty cell among them). The generic path that a
spreadsheet export of any tool can take."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ftadvisor.errors import UserError
from ftadvisor.inputs.evals.results import Options, Row
from ftadvisor.inputs.evals.source import json_lines, opened

NAME = "sheet"
LABEL_COLUMNS = ("label", "failure", "failure_mode", "category", "kind", "error_type")
"""Columns tried, in order, when `--label-column` is not given."""


def label_column(path: Path, columns: list[str], options: Options) -> str:
    wanted = options.label_column
    found = wanted if wanted in columns else None
    if wanted is None:
        found = next((c for c in LABEL_COLUMNS if c in columns), None)
    if found is None:
        raise UserError(
            f"{path}: no label column ({wanted or ', '.join(LABEL_COLUMNS)}); "
            f"its columns are {', '.join(columns) or 'none'}: pass --label-column"
        )
    return found


def records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a CSV/TSV (numbered as lines, the header being line 1) or a JSONL file."""
    if path.suffix.lower() == ".jsonl":
        yield from json_lines(path)
        return
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    with opened(path) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text, dialect=dialect)
        try:
            for row in reader:
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise UserError(f"{path}:{reader.line_num + 1}: not UTF-8 ({exc.reason})") from None
        except csv.Error as exc:
            raise UserError(f"{path}:{reader.line_num}: not a readable CSV row: {exc}") from None


def header(path: Path) -> list[str]:
    """The column names of a CSV or TSV file (its first record)."""
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    with opened(path) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        try:
            return next(csv.reader(text, dialect=dialect), [])
        except (csv.Error, UnicodeDecodeError) as exc:
            raise UserError(f"{path}:1: not a readable CSV header: {exc}") from None


def read(path: Path, options: Options) -> Iterator[Row]:
    column: str | None = None
    for number, row in records(path):
        if column is None:
            column = label_column(path, [str(c) for c in row], options)
        value = row.get(column)
        label = "" if value is None else str(value).strip()
        yield Row((str(number),), frozenset({label}))


SUFFIXES = (".csv", ".tsv", ".jsonl")


def claims(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in SUFFIXES
