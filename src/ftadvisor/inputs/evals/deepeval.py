"""DeepEval test runs: the file `deepeval test run` and `evaluate()` leave behind
(`.deepeval/.latest_test_run.json`, or `test_run_*.json` in `DEEPEVAL_RESULTS_FOLDER`).

Each of `testCases[]` (and `conversationalTestCases[]`) failed the metrics in its
`metricsData[]` whose `success` is false, named by the metric's `name`. A metric that
errored (`error` set) is neither; a case whose every metric errored is excluded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ftadvisor.inputs.evals.results import Options, Row
from ftadvisor.inputs.evals.source import document, expect

NAME = "deepeval"
CASES = ("testCases", "conversationalTestCases")


def claims(path: Path, head: bytes) -> bool:
    return head.lstrip().startswith(b"{") and b'"testCases"' in head


def _run(data: Any, path: Path) -> dict[str, Any]:
    expect(isinstance(data, dict), str(path), "a DeepEval test run (a JSON object)")
    inner = data.get("testRunData")  # how some versions wrap the latest run
    run = inner if isinstance(inner, dict) else data
    expect(
        any(isinstance(run.get(k), list) for k in CASES),
        str(path),
        "`testCases`, a list (a DeepEval test-run file)",
    )
    return run


def _row(case: Any, where: str, identity: tuple[str, ...]) -> Row:
    expect(isinstance(case, dict), where, "a test case (an object)")
    metrics = case.get("metricsData") or []
    expect(isinstance(metrics, list), f"{where}.metricsData", "a list of metric results")
    failed = set()
    graded = False
    for index, metric in enumerate(metrics):
        expect(isinstance(metric, dict), f"{where}.metricsData[{index}]", "a metric result")
        if metric.get("error"):
            continue
        graded = True
        if metric.get("success") is False:
            failed.add(str(metric.get("name") or "unnamed"))
    return Row(identity, frozenset(failed), errored=bool(metrics) and not graded)


def read(path: Path, options: Options) -> Iterator[Row]:
    run = _run(document(path), path)
    for key in CASES:
        for number, case in enumerate(run.get(key) or []):
            yield _row(case, f"{path}: {key}[{number}]", (key, str(number)))
