"""The real program in a pseudo-terminal, typed at as a person would."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from ftadvisor import assess, load_profile

pexpect = pytest.importorskip("pexpect")


def _spawn(tmp_path: Path, *args: str):
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "TERM": "xterm"}
    env.pop("FORCE_COLOR", None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "ftadvisor", "assess", *args],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 120),
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    # A suite run as a background job inherits an ignored SIGINT; Ctrl-C must reach it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_a_person_answers_and_saves(tmp_path: Path) -> None:
    (tmp_path / "results.csv").write_text(
        "label\n" + "facts\n" * 8 + "format\n" * 2 + "contains\n" + "pass\n" * 5
    )
    child = _spawn(tmp_path, "--save", "ftadvisor.yaml")
    for prompt, answer in [
        ("project called", "pty-demo"),
        ("application do", ""),
        ("good output looks like", "y"),
        ("score a change", "y"),
        ("metric do you hold", ""),
        ("good enough, by your judgement", ""),
        ("experiments systematic", "?"),
        ("why:", None),
        ("experiments systematic", "y"),
        ("variants have you compared", "5"),
        ("examples you have tried", "10"),
        ("evaluation results on disk", "missing.csv"),
        ("cannot be read", None),  # said, and asked again
        ("evaluation results on disk", "results.csv"),
        ("failed `contains`", "facts"),  # a check that can fail either way: asked
        ("information 9", None),
        ("retrieval is already in place", "none"),
    ]:
        child.expect(prompt)
        if answer is not None:
            child.sendline(answer)
    child.expect("NEXT STEP")
    child.expect(r"\[rag_term\]")
    child.expect(r"saved \S*ftadvisor.yaml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = load_profile(tmp_path / "ftadvisor.yaml")
    assert saved.name == "pty-demo"
    assert (saved.failures.information, saved.failures.behavior) == (9, 2)  # from the file
    assert assess(saved).next_step.id == "rag_term"


def test_ctrl_c_keeps_the_answers_and_exits_130(tmp_path: Path) -> None:
    child = _spawn(tmp_path)
    child.expect("project called")
    child.sendline("interrupted-demo")
    child.expect("application do")
    child.sendintr()
    child.expect("answers so far are in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")
    assert load_profile(tmp_path / "ftadvisor-draft.yaml").name == "interrupted-demo"
