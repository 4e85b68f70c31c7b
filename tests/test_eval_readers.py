"""The readers of evaluation results, on files the real tools wrote.

Every input under tests/fixtures/evals/ was produced by the tool itself, offline, by
`tests/fixtures/evals/regenerate.sh` (promptfoo 0.123.1 and 0.91.3, Inspect AI 0.3.285,
DeepEval 4.3.1, Ragas 0.4.3): the same nine product-FAQ questions, each graded by a
facts check and a format check, one of them an error. The expected tallies below were
read off the files by hand.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ftadvisor.inputs.evals import Options, detect, tally

FIXTURES = Path(__file__).parent / "fixtures" / "evals"
PROMPTFOO_V3 = [
    FIXTURES / "promptfoo" / name for name in ("results.json", "results.jsonl", "promptfoo.db")
]


def run(*args: str, cwd: Path | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftadvisor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,  # type: ignore[call-overload]
    )


def counts(result) -> tuple[int, int, int, int, int, int]:
    (source,) = result.inputs
    return (
        source.tests,
        source.failed,
        result.information,
        result.behavior,
        result.unclassified,
        result.excluded,
    )


@pytest.mark.parametrize("path", PROMPTFOO_V3, ids=lambda p: p.name)
def test_promptfoo_output_lines_and_database_agree(path: Path) -> None:
    # 9 tests x 2 providers; each case ran under two prompts (rows merged). faq-bot-v2
    # errored on one (excluded), failed a set of facts checks, facts and form together
    # (information first) and form with cost (cost says nothing of the answer).
    assert detect(path) == "promptfoo"
    result = tally([str(path)])
    assert counts(result) == (18, 8, 5, 3, 0, 1)
    assert {c.name: (c.kind, c.failed) for c in result.checks} == {
        "facts": ("information", 5),
        "format": ("behavior", 4),
        "cost": ("ignore", 1),
    }
    assert "faq-bot-v1, faq-bot-v2" in result.notes[0]


def test_promptfoo_per_provider_and_per_eval() -> None:
    path = str(FIXTURES / "promptfoo" / "results.json")
    one = tally([path], options=Options(provider="faq-bot-v1"))
    assert counts(one) == (9, 2, 1, 1, 0, 0) and not one.notes
    two = tally([path], options=Options(provider="faq-bot-v2"))
    assert counts(two) == (9, 6, 4, 2, 0, 1)
    database = FIXTURES / "promptfoo" / "promptfoo.db"
    with sqlite3.connect(database) as connection:
        (first,) = connection.execute("SELECT id FROM evals ORDER BY created_at LIMIT 1").fetchone()
    smoke = tally([str(database)], options=Options(eval_id=first))  # the first 4 tests only
    assert counts(smoke) == (8, 3, 2, 1, 0, 1)


def test_promptfoo_output_version_2_has_no_test_index() -> None:
    # promptfoo 0.91 writes no testIdx, no failureReason and no assert-set metric: cases
    # are told apart by their vars, errors by an error without a grading, and the set
    # falls back to its members' type (icontains: can fail either way).
    result = tally([str(FIXTURES / "promptfoo" / "results-v2.json")])
    assert counts(result) == (18, 8, 4, 3, 1, 1)
    kinds = {c.name: c.kind for c in result.checks}
    assert kinds["assert-set"] == "ask"
    mapped = tally(
        [str(FIXTURES / "promptfoo" / "results-v2.json")], overrides={"assert-set": "information"}
    )
    assert (mapped.information, mapped.unclassified) == (5, 0)


@pytest.mark.parametrize("name", ["faq.json", "faq.eval"])
def test_inspect_logs_json_and_zstandard_archive(name: str) -> None:
    # Two scorers: includes (a reference match: asked) and a custom json_format; the
    # warranty sample errored (excluded).
    path = FIXTURES / "inspect" / name
    assert detect(path) == "inspect"
    result = tally([str(path)])
    assert counts(result) == (9, 4, 0, 3, 1, 1)
    assert {c.name: c.failed for c in result.checks} == {"json_format": 3, "includes": 2}
    facts = tally([str(path)], overrides={"includes": "information"})
    assert (facts.information, facts.behavior, facts.unclassified) == (2, 2, 0)


def test_an_inspect_archive_without_zstandard_says_what_to_do() -> None:
    code = (
        "import sys; sys.modules['zstandard'] = None\n"
        "from ftadvisor.cli.app import main\n"
        f"main(['tally', {str(FIXTURES / 'inspect' / 'faq.eval')!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "faq.eval: member samples/" in done.stderr
    assert "pip install 'ftadvisor[evals]'" in done.stderr
    assert "inspect log convert --to json" in done.stderr


@pytest.mark.parametrize("name", ["test_run.json", "latest_test_run.json"])
def test_deepeval_test_runs(name: str) -> None:
    # latest_test_run.json wraps the same run in testRunData; the warranty case's Format
    # metric raised (neither pass nor fail) while its Facts metric failed.
    path = FIXTURES / "deepeval" / name
    assert detect(path) == "deepeval"
    result = tally([str(path)])
    assert counts(result) == (9, 5, 3, 2, 0, 0)
    assert {c.name: (c.kind, c.failed) for c in result.checks} == {
        "Facts": ("information", 3),
        "Format": ("behavior", 3),
    }


def test_ragas_scores_fail_below_their_threshold() -> None:
    path = FIXTURES / "ragas" / "ragas.csv"
    assert detect(path) == "ragas"
    result = tally([str(path)])  # 0.5 for every metric: no similarity reaches it
    assert counts(result) == (9, 9, 0, 3, 6, 0)
    lower = tally(
        [str(path)],
        options=Options(thresholds={"non_llm_string_similarity": 0.1}),
        overrides={"non_llm_string_similarity": "information", "string_present": "information"},
    )
    assert counts(lower) == (9, 5, 4, 1, 0, 0)
    # The warranty row's json_format is empty (the metric raised): left out, not failed.
    assert {c.name: c.failed for c in lower.checks}["json_format"] == 3


def test_tally_json_through_the_command_line() -> None:
    done = run(
        "tally",
        str(FIXTURES / "promptfoo" / "results.jsonl"),
        str(FIXTURES / "deepeval" / "test_run.json"),
        "--provider",
        "faq-bot-v1",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [(i["format"], i["tests"], i["failed"]) for i in doc["inputs"]] == [
        ("promptfoo", 9, 2),
        ("deepeval", 9, 5),
    ]
    assert doc["failures"] == {"information": 4, "behavior": 3}
    assert {"unclassified", "excluded", "checks"} <= set(doc)


def test_input_format_forces_a_reader(tmp_path: Path) -> None:
    renamed = tmp_path / "export.txt"
    shutil.copy(FIXTURES / "deepeval" / "test_run.json", renamed)
    done = run("tally", str(renamed), "--input-format", "DeepEval", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["failures"] == {"information": 3, "behavior": 2}
    wrong = run("tally", str(renamed), "--input-format", "ragas")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


def _bad(tmp_path: Path, name: str, content: bytes) -> subprocess.CompletedProcess[str]:
    (tmp_path / name).write_bytes(content)
    return run("tally", name, cwd=tmp_path)


def test_broken_results_name_the_file_and_the_place(tmp_path: Path) -> None:
    archive = (FIXTURES / "inspect" / "faq.eval").read_bytes()
    document = json.loads((FIXTURES / "promptfoo" / "results.json").read_text())
    document["results"]["version"] = 4
    run_file = json.loads((FIXTURES / "deepeval" / "test_run.json").read_text())
    run_file["testCases"][3]["metricsData"] = "oops"
    lines = (FIXTURES / "promptfoo" / "results.jsonl").read_text().splitlines()
    cases = {
        "cut.eval": (archive[: len(archive) // 2], "cut.eval: not a readable .eval archive"),
        "v4.json": (json.dumps(document).encode(), "output version 2 or 3 (found 4)"),
        "run.json": (json.dumps(run_file).encode(), "run.json: testCases[3].metricsData"),
        "rows.jsonl": (
            "\n".join([lines[0], lines[1][:40], lines[2]]).encode(),
            "rows.jsonl:2: not valid JSON",
        ),
        "scores.csv": (
            b"user_input,response,faithfulness\nq,a,0.9\nq,a,high\n",
            "scores.csv:3: column 'faithfulness': expected a score",
        ),
        "other.db": (b"SQLite format 3\x00" + b"\x00" * 100, "other.db"),
        "mystery.json": (b'{"hello": "world"}', "name its format with --input-format"),
    }
    for name, (content, expected) in cases.items():
        done = _bad(tmp_path, name, content)
        assert done.returncode == 2, (name, done.stderr)
        assert expected in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr, name


def test_a_database_that_is_not_promptfoos(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE users (id INTEGER)")
    done = run("tally", str(other))
    assert done.returncode == 2
    assert "not a readable promptfoo database" in done.stderr
    assert other.stat().st_size > 0  # read-only: nothing written


def test_assess_reads_tool_results(tmp_path: Path) -> None:
    from .conftest import EXAMPLES

    done = run(
        "assess",
        "-p",
        str(EXAMPLES / "invoice-extractor.yaml"),
        "--evals",
        str(FIXTURES / "promptfoo" / "promptfoo.db"),
        "--provider",
        "faq-bot-v2",
        "-f",
        "json",
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["failures"]["information"] == 4 and doc["failures"]["behavior"] == 2
    assert any(f["rule"] == "finding.evidence" for f in doc["findings"])


def test_a_custom_metric_name_is_classed_by_its_assertion_type(tmp_path: Path) -> None:
    # A real row with its format checks renamed to a metric no map knows: the check
    # keeps the name the team gave it and is classed by its type (is-json, regex).
    rows = [
        json.loads(line)
        for line in (FIXTURES / "promptfoo" / "results.jsonl").read_text().splitlines()
    ]
    for row in rows:
        for component in (row.get("gradingResult") or {}).get("componentResults") or []:
            assertion = component.get("assertion") or {}
            if assertion.get("metric") == "format":
                assertion["metric"] = "house-style"
    (tmp_path / "renamed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = tally([str(tmp_path / "renamed.jsonl")])
    kinds = {c.name: c.kind for c in result.checks}
    assert "format" not in kinds and kinds["house-style"] == "behavior"
    assert (result.information, result.behavior) == (5, 3)
