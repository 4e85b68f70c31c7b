"""Nothing lost: every file ftadvisor writes goes through one atomic writer, and a
failure or Ctrl-C in the middle of a write leaves the old file as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ftadvisor.files as files
from ftadvisor.cli.app import run
from ftadvisor.errors import UserError
from ftadvisor.files import write_atomic

from .conftest import EXAMPLES


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_and_no_litter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    target = tmp_path / "ftadvisor.yaml"
    target.write_text("the old, good profile\n")
    target.chmod(0o640)

    def fail(fd: int) -> None:
        raise failure

    monkeypatch.setattr(files.os, "fsync", fail)
    expected = UserError if isinstance(failure, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        write_atomic(target, "a half-written new profile" * 1000)
    assert target.read_text() == "the old, good profile\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ftadvisor.yaml"]


def test_a_successful_write_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "ftadvisor.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_usual_permissions_for_the_umask(tmp_path: Path, umask: int) -> None:
    # Like `open(path, "w")`: not the owner-only bits of the temporary file.
    previous = os.umask(umask)
    try:
        write_atomic(tmp_path / "report.md", "new\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "report.md").stat().st_mode & 0o777 == 0o666 & ~umask


def test_report_output_survives_a_failing_renderer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report\n")

    def broken(reports, out, *, batch, rules, details=False):  # type: ignore[no-untyped-def]
        out.write('{"half": ')
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("ftadvisor.cli.app.renderer", lambda name: broken)
    code = run(["assess", str(EXAMPLES / "faq-bot.yaml"), "-f", "json", "--output", str(target)])
    assert code == 3
    assert target.read_text() == "previous report\n"
    assert "renderer crashed" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["assess", "--profile", str(EXAMPLES / "faq-bot.yaml"), "--output", "{target}"],
        ["init", "{target}", "--force"],
    ],
    ids=["assess-output", "init"],
)
def test_commands_that_write_leave_the_old_file_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous\n")

    def interrupt(self: Path, other: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", interrupt)
    code = run([a.replace("{target}", str(target)) for a in argv])
    assert code == 130
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_no_temporary_file_outlives_an_interrupt_during_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    monkeypatch.setattr(Path, "replace", lambda self, target: interrupt(str(self), str(target)))
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "ftadvisor.yaml", "x")
    assert list(tmp_path.iterdir()) == []
