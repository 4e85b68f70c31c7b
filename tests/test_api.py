"""The library surface: small, typed, pure, and light to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ftadvisor
from ftadvisor import Profile, ProfileError, assess, load_profile

from .conftest import EXAMPLES


def test_public_names() -> None:
    assert set(ftadvisor.__all__) == {
        "Assessment",
        "Profile",
        "ProfileError",
        "UserError",
        "__version__",
        "assess",
        "load_profile",
    }
    assert issubclass(ProfileError, ftadvisor.UserError)


def test_importing_the_library_loads_neither_typer_nor_rich() -> None:
    code = (
        "import sys, ftadvisor; "
        "ftadvisor.assess(ftadvisor.load_profile(sys.argv[1])); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'rich', 'click')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLES / "hr-policy-qa.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_is_typed() -> None:
    assert (Path(ftadvisor.__file__).parent / "py.typed").is_file()


def test_assess_is_pure(capsys: pytest.CaptureFixture[str]) -> None:
    profile = load_profile(EXAMPLES / "invoice-extractor.yaml")
    first = assess(profile)
    assert assess(profile) == first
    assert capsys.readouterr() == ("", "")


def test_results_are_immutable() -> None:
    result = assess(Profile.model_validate({"version": 1, "name": "x"}))
    for part, field in ((result, "name"), (result.next_step, "id"), (result.failures, "behavior")):
        before = getattr(part, field)
        with pytest.raises(AttributeError):
            setattr(part, field, "changed")
        assert getattr(part, field) == before


def test_profile_from_python_data_is_as_strict_as_from_yaml() -> None:
    with pytest.raises(ValueError, match="retrieval"):
        Profile.model_validate({"version": 1, "name": "x", "retrieval": False})
