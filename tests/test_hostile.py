"""Hostile and broken profiles through the real command: exit 2, a located message,
no traceback, and bounded time and memory (a regression fails instead of hanging)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

MEMORY_CAP = 1 << 30  # 1 GiB of address space for the child
TIMEOUT_S = 30

BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
        f"*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 9)
    ]
)

CASES: list[tuple[str, bytes, list[str]]] = [
    (
        "yaml-syntax",
        b"version: 1\nname: [unclosed\n",
        [":3:", "not valid YAML", "starts on line 2"],
    ),
    ("empty", b"", [":1:", "empty"]),
    ("only-a-comment", b"# nothing here\n", ["empty"]),
    ("top-level-list", b"- version: 1\n", ["mapping", "not a list"]),
    ("top-level-scalar", b"just words\n", ["mapping"]),
    (
        "unknown-key",
        b"version: 1\nname: x\nretreival: term\n",
        [":3: retreival:", "did you mean 'retrieval'"],
    ),
    (
        "wrong-type",
        b"version: 1\nname: x\nfailures:\n  behavior: lots\n",
        [":4: failures.behavior:", "whole number"],
    ),
    (
        "out-of-range",
        b"version: 1\nname: x\nfailures:\n  behavior: -2\n",
        [":4: failures.behavior:", "\u2265 0"],
    ),
    ("yaml-1.1-boolean", b"version: 1\nname: x\nretrieval: off\n", [":3: retrieval:", "quote it"]),
    ("duplicate-key", b"version: 1\nname: x\nname: y\n", [":3: name:", "duplicate key", "line 2"]),
    ("unsupported-version", b"version: 2\nname: x\n", [":1: version:", "unsupported"]),
    ("non-utf8", b"version: 1\nname: caf\xe9\n", [":2:", "not UTF-8"]),
    (
        "python-tag",
        b"version: 1\nname: !!python/object/apply:os.system ['touch pwned']\n",
        [":2: name:", "tag"],
    ),
    ("alias-bomb", (BOMB + "\nversion: 1\nname: x\n").encode(), ["aliases"]),
    (
        "bomb-inside-a-known-key",
        (BOMB + "\nversion: 1\nname: x\ntask: *a8\n").encode(),
        ["aliases"],
    ),
    ("too-large", b"version: 1\nname: x\n" + b"# padding\n" * 120_000, ["larger than"]),
    ("deep-nesting", b"a: " + b"[" * 50_000 + b"]" * 50_000 + b"\n", ["nesting"]),
]


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _assess(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftadvisor", "assess", "--profile", str(path), "--format", "json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        preexec_fn=_limit_memory,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_profile_is_refused_cleanly(
    tmp_path: Path, content: bytes, expected: list[str]
) -> None:
    path = tmp_path / "ftadvisor.yaml"
    path.write_bytes(content)
    result = _assess(path, tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    for part in expected:
        assert part in result.stderr, (part, result.stderr[:500])
    assert len(result.stderr) < 5_000  # errors never print an expanded value
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("target", ["missing.yaml", "."], ids=["missing", "directory-of-nothing"])
def test_missing_path_or_empty_directory(tmp_path: Path, target: str) -> None:
    result = _assess(tmp_path / target, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(tmp_path) in result.stderr
