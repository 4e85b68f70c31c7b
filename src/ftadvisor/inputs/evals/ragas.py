"""Ragas results saved as CSV (`result.to_pandas().to_csv(...)`): one row per sample,
the sample's own columns, then one float column per metric. Ragas scores but does not
judge, so a row fails a metric below its threshold (`--threshold METRIC=VALUE`, else
`DEFAULT_THRESHOLD`); an empty or NaN score means the metric errored on that row and is
left out, and a row whose every metric errored is excluded."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from pathlib import Path

from ftadvisor.errors import UserError
from ftadvisor.inputs.evals.results import Options, Row
from ftadvisor.inputs.evals.sheet import LABEL_COLUMNS, header, records

NAME = "ragas"
DEFAULT_THRESHOLD = 0.5
"""Ragas sets none; 0.5 is DeepEval's default threshold for its metrics, on the same
0-1 scale."""
SAMPLE_COLUMNS = frozenset(
    {
        "user_input",
        "retrieved_contexts",
        "reference_contexts",
        "response",
        "multi_responses",
        "reference",
        "rubrics",
        "question",
        "contexts",
        "answer",
        "ground_truth",
        "ground_truths",
    }
)
"""The columns of a Ragas sample (current and pre-0.2 names): never metrics."""


def claims(path: Path, head: bytes) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    first = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
    try:
        header = next(csv.reader(io.StringIO(first[0]))) if first else []
    except csv.Error:
        return False
    columns = {c.strip() for c in header}
    return bool(columns & SAMPLE_COLUMNS) and not columns & set(LABEL_COLUMNS)


def _score(path: Path, number: int, column: str, value: object) -> float | None:
    text = "" if value is None else str(value).strip()
    if text.lower() in ("", "nan", "none", "null"):
        return None
    try:
        score = float(text)
    except ValueError:
        raise UserError(
            f"{path}:{number}: column {column!r}: expected a score, found {text[:40]!r}"
        ) from None
    return None if math.isnan(score) else score


def read(path: Path, options: Options) -> Iterator[Row]:
    columns = [c.strip() for c in header(path)]
    if not set(columns) & SAMPLE_COLUMNS:
        raise UserError(
            f"{path}: no Ragas sample columns (user_input, response, question, answer, …); "
            f"its columns are {', '.join(columns)[:200] or 'none'}"
        )
    metrics = [c for c in columns if c and c not in SAMPLE_COLUMNS]
    if not metrics:
        raise UserError(f"{path}: no metric columns beside the sample's own")
    for number, row in records(path):
        failed = set()
        scored = False
        for metric in metrics:
            score = _score(path, number, metric, row.get(metric))
            if score is None:
                continue
            scored = True
            if score < options.thresholds.get(metric, DEFAULT_THRESHOLD):
                failed.add(metric)
        yield Row((str(number),), frozenset(failed), errored=not scored)
