"""The command line: formats, exit codes, and the single error handler."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ftadvisor.cli.app as cli
from ftadvisor.cli.app import run

from .conftest import EXAMPLES

INVOICE = EXAMPLES / "invoice-extractor.yaml"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "assess", "-p", str(INVOICE), "-f", "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["next_step"]["id"] == "finetune"
    assert doc["findings"][0]["line"] is not None  # findings point into the file


def test_text_report_has_the_step_the_ladder_and_the_reasons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "assess", "--profile", str(INVOICE))
    assert code == 0
    for part in (
        "NEXT STEP",
        "Finetune, parameter-efficient (LoRA) first",
        "[finetune]",
        "Why",
        "Huyen 2025, AI Engineering ch. 7",
        "The ladder",
        "FINETUNE",
        "What would change this advice",
    ):
        assert part in out
    assert "\x1b[" not in out  # not a terminal: no escape codes


def test_markdown_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "assess", "-p", str(INVOICE), "-f", "markdown")
    assert code == 0
    assert out.startswith("### ftadvisor · invoice\\-extractor")
    assert "**Next step: Finetune, parameter\\-efficient \\(LoRA\\) first** (`finetune`)" in out
    assert "| ▶ | 8. **Finetune" in out


def test_profile_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(INVOICE.read_bytes())))
    code, out, _ = _run(capsys, "assess", "--profile", "-", "--format", "json")
    assert code == 0
    assert json.loads(out)["profile"] == "<stdin>"


def test_invalid_profile_exits_2_with_file_line_and_key(
    capsys: pytest.CaptureFixture[str], profile_file
) -> None:
    path = profile_file("version: 1\nname: x\nresources:\n  training_exemples: 10\n")
    for fmt in ("text", "json", "markdown"):
        code, out, err = _run(capsys, "assess", "-p", str(path), "-f", fmt)
        assert code == 2 and out == ""
        assert (
            f"{path}:4: resources.training_exemples: unknown key; did you mean "
            "'training_examples'?" in err
        )
        assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["assess"], "no profile given, and no terminal to ask questions on"),
        (["assess", "--interactive", "-p", str(INVOICE)], "--interactive needs a terminal"),
        (["assess", "--save", "x.yaml", "-p", str(INVOICE)], "--save applies to interactive"),
        (["assess", "-p", "/no/such/file.yaml"], "/no/such/file.yaml: no such file"),
        (["assess", "-p", "/"], "no profiles (*.yaml, *.yml) in this directory"),
        (["assess", "-p", str(INVOICE), "-f", "xml"], "'xml' is not one of"),
        (["assess", "--no-such-flag"], "No such option"),
    ],
)
def test_bad_invocations_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = _run(capsys, *args)
    assert code == 2
    assert message in err


def test_no_terminal_never_waits_on_standard_input(tmp_path: Path) -> None:
    """In CI there is no terminal: without a profile, exit 2 at once instead of prompting."""
    result = subprocess.run(
        [sys.executable, "-m", "ftadvisor", "assess"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        input="y\n" * 50,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--profile" in result.stderr and "?" not in result.stdout


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from ftadvisor import __version__

    code, out, _ = _run(capsys, "--version")
    assert (code, out.strip()) == (0, f"ftadvisor {__version__}")


def test_a_bug_exits_3_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(rules: object, profile: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("ftadvisor.advice.pipeline.evaluate", broken)
    monkeypatch.delenv("FTADVISOR_DEBUG", raising=False)
    code, _, err = _run(capsys, "assess", "-p", str(INVOICE))
    assert code == 3
    assert "internal error" in err and "boom" in err and "Traceback" not in err
    # The same from a worker process (forked, so it carries the broken function).
    code, _, err = _run(capsys, "assess", str(EXAMPLES), "--jobs", "1", "-f", "json")
    assert code == 3
    assert "internal error" in err and "boom" in err and "Traceback" not in err


def test_interrupt_exits_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(rules: object, profile: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("ftadvisor.advice.pipeline.evaluate", interrupted)
    code, _, err = _run(capsys, "assess", "-p", str(INVOICE))
    assert code == 130 and "interrupted" in err


def test_console_script_runs_from_any_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftadvisor",
            "assess",
            "--profile",
            str(INVOICE),
            "--format",
            "json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["next_step"]["id"] == "finetune"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize(
    "args",
    [["--version"], ["assess", "--profile", str(INVOICE), "--format", "json"]],
    ids=["short-output", "long-output"],
)
def test_output_that_cannot_be_written_exits_2(args: list[str]) -> None:
    # The process ends with os._exit after flushing, so a failed flush must be reported
    # by us, not left to an interpreter teardown that never runs.
    with Path("/dev/full").open("w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "ftadvisor", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
    assert result.returncode == 2, result.stderr
    assert "cannot write the output" in result.stderr
    assert "Traceback" not in result.stderr


def test_output_survives_the_fast_exit_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["assess", str(EXAMPLES), str(EXAMPLES), "--format", "json"]
    result = subprocess.run(
        [sys.executable, "-m", "ftadvisor", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    _, in_process, _ = _run(capsys, *args)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) > 65_536  # more than one pipe buffer
    assert result.stdout == in_process


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_running_one_command_builds_the_same_parser_as_the_whole_app(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # `run` builds only the command being run; its help, usage and errors must be the
    # ones the whole app gives.
    for args in ([command, "--help"], [command, "--no-such-option"]):
        mine = run(args), *capsys.readouterr()
        with monkeypatch.context() as patch:
            patch.setattr(cli, "_app_for", lambda argv: cli.make_app())
            whole = run(args), *capsys.readouterr()
        assert mine == whole
        assert mine[1] or mine[2]
