"""`ftadvisor tally` and `assess --evals` over labelled results sheets (CSV, JSONL)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ftadvisor.inputs.evals import Classes, tally

from .conftest import EXAMPLES

SHEET = (
    "id,question,label\n1,a,pass\n2,b,wrong fact\n3,c,format\n4,d,facts\n5,e,latency\n"
    "6,f,contains\n7,g,format\n"
)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftadvisor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_sheet_is_tallied_by_the_classes_in_the_data(tmp_path: Path) -> None:
    (tmp_path / "sheet.csv").write_text(SHEET)
    result = tally([str(tmp_path / "sheet.csv")])
    assert (result.information, result.behavior, result.unclassified, result.excluded) == (
        2,
        2,
        1,
        1,
    )
    assert result.inputs[0].tests == 7 and result.inputs[0].failed == 5  # latency: excluded
    kinds = {c.name: c.kind for c in result.checks}
    assert kinds == {
        "format": "behavior",
        "contains": "ask",
        "facts": "information",
        "latency": "ignore",
        "wrong fact": "information",
    }


def test_the_users_map_wins(tmp_path: Path) -> None:
    (tmp_path / "sheet.csv").write_text(SHEET)
    result = tally(
        [str(tmp_path / "sheet.csv")], overrides={"contains": "behavior", "format": "information"}
    )
    assert (result.information, result.behavior, result.unclassified) == (4, 1, 0)


def test_every_packaged_class_is_one_of_the_kinds() -> None:
    classes = Classes.packaged()
    assert set(classes.kinds.values()) <= {"information", "behavior", "ignore", "ask"}
    assert classes.kind("is-json") == "behavior" and classes.kind("Context Recall") == "information"
    assert classes.kind("something new") == "ask"


def test_the_json_shape_and_bad_inputs(tmp_path: Path) -> None:
    rows = [{"case": i, "failure_mode": m} for i, m in enumerate(["ok", "hallucination", "style"])]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = run("tally", "r.jsonl", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["failures"] == {"information": 1, "behavior": 1}
    assert {"inputs", "failures", "unclassified", "excluded", "checks"} <= set(doc)
    assert doc["inputs"][0] == {"path": "r.jsonl", "format": "sheet", "tests": 3, "failed": 2}
    (tmp_path / "nolabel.csv").write_text("a,b\n1,2\n")
    (tmp_path / "bad.jsonl").write_text('{"label": "x"}\n{oops\n')
    for args, expected in (
        (("nolabel.csv",), "pass --label-column"),
        (("bad.jsonl",), "bad.jsonl:2: not valid JSON"),
        (("missing.csv",), "cannot be read"),
        (("r.jsonl", "--map", "x=maybe"), "expected NAME=information"),
        (("/dev/zero",), "not a regular file"),
    ):
        refused = run("tally", *args, cwd=tmp_path)
        assert refused.returncode == 2 and expected in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr


def test_assess_takes_the_failures_from_the_results(tmp_path: Path) -> None:
    # The invoice extractor's profile tallies form failures; its results sheet says facts.
    sheet = "label\n" + "facts\n" * 20 + "format\n" * 4 + "pass\n" * 10
    (tmp_path / "results.csv").write_text(sheet)
    done = run(
        "assess",
        "--profile",
        str(EXAMPLES / "invoice-extractor.yaml"),
        "--evals",
        "results.csv",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["failures"]["information"] == 20 and doc["failures"]["behavior"] == 4
    assert doc["next_step"]["id"] == "rag_term"
    assert "failures.information: 20 from results.csv replaces the profile's 3" in done.stderr
    replaced = {f["key"]: f for f in doc["findings"] if f["rule"] == "finding.evidence"}
    assert set(replaced) == {"failures.information", "failures.behavior"}
    assert replaced["failures.information"]["severity"] == "info"
    assert "replaces the profile's 3" in replaced["failures.information"]["message"]
    for fmt in ("sarif", "junit", "markdown"):
        shown = run(
            "assess",
            "-p",
            str(EXAMPLES / "invoice-extractor.yaml"),
            "--evals",
            "results.csv",
            "-f",
            fmt,
            cwd=tmp_path,
        )
        assert shown.returncode == 0 and "replaces the profile's 3" in shown.stdout, fmt
