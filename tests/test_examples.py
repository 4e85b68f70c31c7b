"""Every shipped example lands where its header says, through the API and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ftadvisor import assess, load_profile
from ftadvisor.cli.app import run

from .conftest import EXAMPLES
from .contract import STEPS, check_contract

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (\w+) \((\w+)\)$", re.M)


def _expected(path: Path) -> tuple[str, str]:
    match = _EXPECT.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} has no '# expect: STEP (MODE)' header"
    return match.group(1), match.group(2)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_next_step_and_failure_mode(path: Path) -> None:
    step, mode = _expected(path)
    result = assess(load_profile(path))
    assert (result.next_step.id, result.failure_mode) == (step, mode)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_json_meets_the_contract(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["assess", "--profile", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    check_contract(doc)
    assert doc["profile"] == str(path)
    assert doc["next_step"]["id"] == _expected(path)[0]


def test_examples_cover_every_next_step() -> None:
    assert {_expected(p)[0] for p in EXAMPLE_FILES} == STEPS


def test_every_example_explains_its_situation() -> None:
    for path in EXAMPLE_FILES:
        comments = [line for line in path.read_text().splitlines() if line.startswith("#")]
        assert len(comments) >= 3, f"{path.name}: say what situation it describes"


def test_reports_show_assumptions_and_the_step_after_an_early_rung(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assumed = str(EXAMPLES / "email-reply-drafter.yaml")
    early = str(EXAMPLES / "contract-summaries.yaml")
    for fmt, marks in (("text", ("Assumes", "Then:")), ("markdown", ("**Assumes**", "Then:"))):
        assert run(["assess", "--profile", assumed, "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert marks[0] in out and "resources.maintenance_budget" in out
        assert "prepare_finetune" in out  # the step were the assumption wrong
        assert run(["assess", "--profile", early, "--format", fmt]) == 0
        assert marks[1] in capsys.readouterr().out
    assert run(["assess", "--profile", early, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["next_step"]["then"]["id"] == "try_stronger_model"
    assert run(["assess", "--profile", assumed, "--fail-on", "warning"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_every_default_text_report_fits_a_screen(path: Path) -> None:
    """Issue 12: the headline must not scroll away: 40 lines at 100 columns, no
    trailing spaces when piped, no None, methods written as their authors do."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "ftadvisor", "assess", "--profile", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"},
    )
    lines = done.stdout.splitlines()
    assert len(lines) <= 40, f"{len(lines)} lines"
    assert not [line for line in lines if line != line.rstrip()]
    assert "None" not in done.stdout and "LORA" not in done.stdout
    if "Plan" in lines:
        detailed = subprocess.run(
            [sys.executable, "-m", "ftadvisor", "assess", "--profile", str(path), "--details"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"},
        ).stdout
        assert len(detailed.splitlines()) > len(lines)
        assert "--details" not in detailed


@pytest.mark.parametrize("columns", ["0", "1", "20"])
def test_narrow_terminals_still_show_the_next_step(columns: str) -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "ftadvisor", "assess", "--profile", str(EXAMPLES / "faq-bot.yaml")],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COLUMNS": columns, "NO_COLOR": "1"},
    )
    assert done.returncode == 0
    assert "[no_change]" in done.stdout
