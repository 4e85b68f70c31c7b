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
        "Gates",
        "MemorySettings",
        "Profile",
        "ProfileError",
        "Report",
        "RuleSet",
        "RulesError",
        "Run",
        "UserError",
        "__version__",
        "architecture",
        "assess",
        "estimate_memory",
        "evaluate",
        "load_profile",
        "load_rules",
    }
    for name in ftadvisor.__all__:
        assert getattr(ftadvisor, name) is not None
    assert issubclass(ProfileError, ftadvisor.UserError)
    assert not issubclass(ftadvisor.RulesError, ftadvisor.UserError)  # a broken rule is a bug


def test_the_layers_a_tool_can_enter_at(tmp_path: Path) -> None:
    import shutil

    from .conftest import RULES

    profile = load_profile(EXAMPLES / "invoice-extractor.yaml")
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    assert ftadvisor.evaluate(ftadvisor.load_rules(copy), profile) == assess(profile)
    (copy / "facts" / "broken.yaml").write_text("id: fact.broken\nkind: fact\n")
    with pytest.raises(ftadvisor.RulesError, match=r"broken\.yaml"):
        ftadvisor.load_rules(copy)

    run = ftadvisor.Run(
        [str(EXAMPLES / "invoice-extractor.yaml"), str(tmp_path / "missing.yaml")],
        ftadvisor.Gates(fail_on=frozenset({"warning"})),
    )
    reports = list(run)
    assert [r.name for r in reports] == [
        str(EXAMPLES / "invoice-extractor.yaml"),
        str(tmp_path / "missing.yaml"),
    ]
    assert reports[0].assessment == assess(profile)
    assert reports[1].assessment is None and "no such file" in reports[1].problems[0].message
    assert run.status == 2

    estimate = ftadvisor.estimate_memory(
        ftadvisor.architecture(model="mistral-7b"), ftadvisor.MemorySettings(method="qlora")
    )
    assert 0 < estimate.total_gb < 24


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


def test_help_on_the_package_names_every_public_name_on_its_first_screen() -> None:
    import pydoc

    text = pydoc.render_doc(ftadvisor, renderer=pydoc.plaintext)
    first_screen = text.split("PACKAGE CONTENTS")[0]
    assert len(first_screen.splitlines()) <= 40
    for name in ftadvisor.__all__:
        if name != "__version__":
            assert f"`{name}`" in first_screen, name
            summary = (getattr(ftadvisor, name).__doc__ or "").strip().splitlines()
            assert summary and len(summary[0]) <= 100, name
