"""Batches assessed in worker processes: the same output, order and exit status as in
one process, bounded, and interruptible."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ftadvisor.advice.batch as batch
from ftadvisor import ProfileError, assess, load_profile
from ftadvisor.errors import Problem

from .conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftadvisor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 profiles over three chunks: the examples, with broken ones among them."""
    directory = tmp_path_factory.mktemp("batch")
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLE_FILES]
    for i in range(150):
        text = texts[i % len(texts)]
        if i % 37 == 5:
            text = text.replace("version: 1", "version: 1\nversion: 1", 1)  # duplicate key
        if i % 41 == 7:
            text = "intent: [unclosed\n"
        (directory / f"p{i:03d}.yaml").write_text(text, encoding="utf-8")
    return directory


@pytest.mark.parametrize("output_format", ["json", "text", "github", "junit"])
def test_workers_give_what_one_process_gives(mixed_batch: Path, output_format: str) -> None:
    args = ("assess", ".", "--format", output_format, "--fail-on", "warning")
    alone = _cli(*args, "--jobs", "0", cwd=mixed_batch)
    shared = _cli(*args, "--jobs", "2", cwd=mixed_batch)
    assert alone.returncode == 2, alone.stderr[-500:]
    assert shared.returncode == alone.returncode
    assert shared.stdout == alone.stdout
    assert shared.stderr == alone.stderr
    assert "duplicate key" in alone.stderr and "Traceback" not in shared.stderr


def _default_sigint() -> None:
    # A suite run as a background job inherits an ignored SIGINT, and so would the
    # program under test; a terminal's Ctrl-C is what this test means to send.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_the_workers_too(tmp_path: Path) -> None:
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLE_FILES]
    for i in range(4000):
        (tmp_path / f"p{i:04d}.yaml").write_text(texts[i % len(texts)], encoding="utf-8")
    # A new session, so that the signal goes to the whole group, as a terminal's would.
    process = subprocess.Popen(
        [sys.executable, "-m", "ftadvisor", "assess", ".", "-f", "json", "--jobs", "2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )
    assert process.stdout is not None
    process.stdout.read(20_000)  # reports are flowing: the workers are busy
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err[-2000:]
    assert b"interrupted" in err and b"Traceback" not in err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break  # no process of the group is left
        time.sleep(0.1)
    else:
        pytest.fail("worker processes outlived the interrupted run")


@pytest.mark.parametrize(
    ("files", "jobs", "cpus", "expected"),
    [
        (10, None, 8, 0),  # a small batch stays in one process
        (1000, None, 1, 0),  # no CPU to spare
        (1000, None, 2, 2),
        (1000, None, 64, batch.MAX_WORKERS),
        (1000, 0, 8, 0),  # asked for none
        (1000, 3, 1, 3),  # asked for, even on one CPU
        (10, 4, 8, 1),  # never more workers than chunks
    ],
)
def test_how_many_workers(
    monkeypatch: pytest.MonkeyPatch, files: int, jobs: int | None, cpus: int, expected: int
) -> None:
    monkeypatch.setattr(batch, "_cpus", lambda: cpus)
    assert batch.workers(jobs, files) == expected


def test_standard_input_is_never_handed_to_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    from ftadvisor.advice.pipeline import Run

    asked: list[int] = []

    def record(work, items, processes):  # type: ignore[no-untyped-def]
        asked.append(processes)
        return iter(())

    monkeypatch.setattr(batch, "ordered_map", record)
    list(Run(["a.yaml", "-", *(f"p{i}.yaml" for i in range(1000))], jobs=4))
    list(Run([f"p{i}.yaml" for i in range(1000)], jobs=4))
    assert asked == [0, 4]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_an_assessment_survives_pickling_whole(path: Path) -> None:
    original = assess(load_profile(path))
    copy = pickle.loads(pickle.dumps(original))
    assert copy == original
    assert copy.changes == original.changes
    assert copy.plan == original.plan
    assert type(copy.next_step) is type(original.next_step)


def test_a_profile_error_survives_pickling() -> None:
    error = ProfileError([Problem("expected a number, got 'x'", "a.yaml", 3, "goal.current")])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems
    assert copy.message == error.message


def test_assessments_unpickle_in_a_process_that_never_assessed(tmp_path: Path) -> None:
    # What a batch's workers send must render the same where the rules were never loaded.
    originals = [assess(load_profile(path)) for path in EXAMPLE_FILES]
    dumped = tmp_path / "assessments.pickle"
    dumped.write_bytes(pickle.dumps(originals))
    code = (
        "import json, pickle, sys\n"
        "from ftadvisor.render import Report\n"
        "from ftadvisor.render.json import document\n"
        "items = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "print(json.dumps([document(Report(name=None, assessment=a)) for a in items]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(dumped)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    from ftadvisor.render import Report
    from ftadvisor.render.json import document

    assert json.loads(result.stdout) == [
        document(Report(name=None, assessment=a)) for a in originals
    ]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killing_the_caller_leaves_no_worker_tracebacks(tmp_path: Path, sig: int) -> None:
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLE_FILES]
    for i in range(3000):
        (tmp_path / f"p{i:04d}.yaml").write_text(texts[i % len(texts)], encoding="utf-8")
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "ftadvisor", "assess", ".", "-f", "json", "--jobs", "2"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=err,  # shared with the workers, as a terminal would be
            stdin=subprocess.DEVNULL,
        )
        assert process.stdout is not None
        process.stdout.read(20_000)
        process.send_signal(sig)
        process.wait(timeout=30)
        process.stdout.close()
        time.sleep(2)  # the orphaned workers notice and end
    assert b"Traceback" not in errors.read_bytes()
