"""A normal (non-editable) install carries the rules and works from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT, RULES


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("ftadvisor-*.whl")
    return built


def test_wheel_contains_every_rule_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in RULES.rglob("*.yaml"):
        assert f"ftadvisor/rules/data/{path.relative_to(RULES).as_posix()}" in names
    assert "ftadvisor/py.typed" in names
    assert "ftadvisor/bundle/bundle.json" in names


def test_installed_package_finds_its_rules_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-compile",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import json, sys, ftadvisor\n"
        "import ftadvisor.bundle as bundle\n"
        "from ftadvisor.rules.loader import rules_directory\n"
        "def refuse(*args): sys.exit(f'parsed {args[1]} as YAML: the bundle missed')\n"
        "bundle.parse = refuse\n"
        "result = ftadvisor.assess(ftadvisor.load_profile(sys.argv[1]))\n"
        "print(json.dumps([ftadvisor.__file__, str(rules_directory()), result.next_step.id]))\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLES / "hr-policy-qa.yaml")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module, rules, step = json.loads(result.stdout)
    assert Path(module).is_relative_to(target)
    assert Path(rules) == target / "ftadvisor" / "rules" / "data"
    assert step == "rag_term"
