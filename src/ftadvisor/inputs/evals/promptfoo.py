"""promptfoo results: `promptfoo eval -o results.json` (output versions 2 and 3, rows
under `results.results[]`), `-o results.jsonl` (one row a line) and its local SQLite
database (`promptfoo.db`, table `eval_results`; `--eval-id`, else the latest eval).

A row is one test case under one prompt and one provider. It failed the checks in
`gradingResult.componentResults[]` (nested assert-sets included) whose `pass` is false,
each named by its `metric` when the config gives one, else by its assertion `type`.
Provider errors (`failureReason` 2) are excluded, not failures. Rows are counted per
test case and provider: the prompts a case ran under are merged (`--provider` keeps
one provider's rows).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ftadvisor.errors import UserError
from ftadvisor.inputs.evals.results import Options, Read, Row
from ftadvisor.inputs.evals.source import document, expect, head, json_lines, opened

NAME = "promptfoo"
SQLITE_MAGIC = b"SQLite format 3\x00"
ERROR = 2
"""`failureReason` of a row whose provider failed (promptfoo's ResultFailureReason)."""
_ROW_KEYS = ("gradingResult", "testIdx", "promptIdx", "failureReason")


def _row_first(path: Path, start: bytes) -> bool:
    """JSON Lines of rows (`-o results.jsonl`, or such lines under another name)."""
    first = start.lstrip()[:4096].split(b"\n", 1)[0]
    if path.suffix.lower() == ".jsonl" or not first.startswith(b"{"):
        return True
    return any(f'"{k}"'.encode() in first for k in _ROW_KEYS) and b'"evalId"' not in first


def claims(path: Path, head: bytes) -> bool:
    if head.startswith(SQLITE_MAGIC):
        return True
    first = head.lstrip()[:4096].split(b"\n", 1)[0]
    if _row_first(path, head):
        return any(f'"{k}"'.encode() in first for k in _ROW_KEYS)
    return b'"evalId"' in head


def _provider(row: dict[str, Any]) -> str:
    provider = row.get("provider")
    if isinstance(provider, dict):
        return str(provider.get("label") or provider.get("id") or "")
    return str(provider or "")


def _provider_names(row: dict[str, Any]) -> set[str]:
    provider = row.get("provider")
    if isinstance(provider, dict):
        return {str(provider[k]) for k in ("id", "label") if provider.get(k)}
    return {str(provider)} if provider else set()


def _assertion(component: dict[str, Any]) -> dict[str, Any]:
    assertion = component.get("assertion")
    return assertion if isinstance(assertion, dict) else {}


def _failed_components(grading: Any, found: list[tuple[str, str]]) -> None:
    """(name, type) of each failed check. An assert-set counts once, under its own
    metric (`metadata.assertionSet.metric`); promptfoo also repeats its members at the
    top level, without that metric, and those copies are skipped."""
    if not isinstance(grading, dict):
        return
    components = [c for c in grading.get("componentResults") or () if isinstance(c, dict)]
    members = {
        json.dumps(member, sort_keys=True)
        for c in components
        for member in c.get("componentResults") or ()
        if isinstance(member, dict)
    }
    for component in components:
        nested = component.get("componentResults")
        if nested:
            if component.get("pass") is False:
                spec = (component.get("metadata") or {}).get("assertionSet") or {}
                name = str(spec.get("metric") or "assert-set")
                kinds = {
                    str(_assertion(m).get("type") or "")
                    for m in nested
                    if isinstance(m, dict) and m.get("pass") is False
                }
                found.extend((name, kind) for kind in sorted(kinds or {""}))
            continue
        if component.get("pass") is not False or (
            members and json.dumps(component, sort_keys=True) in members
        ):
            continue
        assertion = _assertion(component)
        kind = str(assertion.get("type") or "")
        found.append((str(assertion.get("metric") or kind or "unnamed"), kind))


def row(record: dict[str, Any], where: str, number: int) -> Row:
    """One result row, as the three outputs all write it (the database's columns under
    the same camelCase names)."""
    expect(isinstance(record, dict), where, "a result row (an object)")
    test = record.get("testIdx")
    if test is not None:
        test_id = str(test)
    elif isinstance(record.get("vars"), dict):  # output version 2 has no testIdx
        test_id = json.dumps(record["vars"], sort_keys=True)
    else:
        test_id = f"row {number}"
    case = (_provider(record), test_id)
    reason = record.get("failureReason")
    grading = record.get("gradingResult")
    if reason == ERROR or (record.get("error") and not grading):
        return Row(case, errored=True)
    if record.get("success") is True:
        return Row(case)
    found: list[tuple[str, str]] = []
    _failed_components(grading, found)
    if not found and record.get("success") is False:
        found.append(("unnamed", ""))
    return Row(
        case,
        frozenset(name for name, _ in found),
        types=tuple((name, kind) for name, kind in found if kind and name != kind),
    )


def _kept(rows: Iterable[tuple[dict[str, Any], str, int]], options: Options) -> Iterator[Row]:
    wanted = options.provider
    seen: set[str] = set()
    for record, where, number in rows:
        names = _provider_names(record) if isinstance(record, dict) else set()
        seen |= names
        if wanted is None or wanted in names:
            yield row(record, where, number)
    if wanted is not None and wanted not in seen:
        raise UserError(
            f"--provider {wanted!r}: no such provider in these results "
            f"(found: {', '.join(sorted(seen)) or 'none'})"
        )


def _document_rows(path: Path) -> Iterator[tuple[dict[str, Any], str, int]]:
    data = document(path)
    expect(isinstance(data, dict), str(path), "a promptfoo output (a JSON object)")
    results = data.get("results")
    expect(isinstance(results, dict), str(path), "promptfoo's `results` object")
    version = results.get("version")
    expect(
        version in (2, 3),
        str(path),
        f"promptfoo output version 2 or 3 (found {version!r}); rewrite it with "
        "`promptfoo export` or read its promptfoo.db",
    )
    rows = results.get("results")
    expect(isinstance(rows, list), str(path), "`results.results`, a list of rows")
    for number, record in enumerate(rows):
        yield record, f"{path}: results.results[{number}]", number


def _line_rows(path: Path) -> Iterator[tuple[dict[str, Any], str, int]]:
    for number, record in json_lines(path):
        yield record, f"{path}:{number}", number


_COLUMNS = {
    "test_idx": "testIdx",
    "prompt_idx": "promptIdx",
    "provider": "provider",
    "failure_reason": "failureReason",
    "success": "success",
    "error": "error",
    "grading_result": "gradingResult",
}
_JSON_COLUMNS = ("provider", "grading_result")


def _database_rows(path: Path, options: Options) -> Iterator[tuple[dict[str, Any], str, int]]:
    with opened(path):  # the same checks as every input: regular, not too large
        pass
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise UserError(f"{path}: cannot open this database: {exc}") from None
    try:
        yield from _query(connection, path, options)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{path}: not a readable promptfoo database: {exc}") from None
    finally:
        connection.close()


def _query(
    connection: sqlite3.Connection, path: Path, options: Options
) -> Iterator[tuple[dict[str, Any], str, int]]:
    connection.execute("PRAGMA query_only = ON")
    eval_id = options.eval_id
    if eval_id is None:
        latest = connection.execute(
            "SELECT id FROM evals ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ).fetchone()
        if latest is None:
            raise UserError(f"{path}: this promptfoo database holds no evals")
        eval_id = str(latest[0])
    elif connection.execute("SELECT 1 FROM evals WHERE id = ?", (eval_id,)).fetchone() is None:
        known = [r[0] for r in connection.execute("SELECT id FROM evals ORDER BY created_at")]
        raise UserError(
            f"--eval-id {eval_id!r}: not in {path} (its evals: {', '.join(known) or 'none'})"
        )
    columns = ", ".join(_COLUMNS)
    cursor = connection.execute(
        f"SELECT rowid, {columns} FROM eval_results WHERE eval_id = ? ORDER BY rowid",
        (eval_id,),
    )
    for rowid, *values in cursor:
        record: dict[str, Any] = {}
        where = f"{path}: eval {eval_id}, result row {rowid}"
        for column, value in zip(_COLUMNS, values, strict=True):
            if column in _JSON_COLUMNS and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise UserError(f"{where}: column {column} is not JSON") from None
            record[_COLUMNS[column]] = value
        if isinstance(record.get("success"), int):
            record["success"] = bool(record["success"])
        yield record, where, rowid


def read(path: Path, options: Options) -> Iterator[Row]:
    start = head(path)
    if start.startswith(SQLITE_MAGIC):
        rows = _database_rows(path, options)
    elif _row_first(path, start):
        rows = _line_rows(path)
    else:
        rows = _document_rows(path)
    yield from _kept(rows, options)


def notes(read: Read) -> list[str]:
    providers = {case[0] for case in read.cases}
    if len(providers) > 1:
        return [
            f"{read.path}: counted per provider ({', '.join(sorted(providers))}); "
            "--provider ID counts one"
        ]
    return []
