"""The start-up bundle: parsed copies of the packaged YAML that must agree with the YAML."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import ftadvisor.bundle as bundle
import ftadvisor.interview.questions as questions
import ftadvisor.plan.architecture as memory
import ftadvisor.rules.loader as rules
from ftadvisor.bundle.__main__ import build, packaged_files

from .conftest import RULES


def _no_yaml(*args: Any) -> Any:
    raise AssertionError(f"parsed YAML although the bundle knows the file: {args[1:]}")


def test_committed_bundle_is_up_to_date() -> None:
    assert bundle.BUNDLE.read_text(encoding="utf-8") == build(packaged_files()), (
        "the packaged YAML changed: run `python -m ftadvisor.bundle`"
    )


def test_packaged_files_load_from_the_bundle_without_the_yaml_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bundle, "parse", _no_yaml)
    loaded = rules.load_rules(RULES)
    assert len(loaded.by_id) == len(list(RULES.rglob("*.yaml"))) - 1  # sources.yaml
    questions.load_questions(Path(questions.__file__).with_name("questions.yaml"), loaded)
    assert memory.presets.__wrapped__()


def _rule_view(ruleset: rules.RuleSet) -> list[tuple[Any, ...]]:
    return [
        (r.spec, r.path, r.reasons, r.conditions)
        for r in (*ruleset.facts, *ruleset.rungs, *ruleset.outcomes, *ruleset.findings)
    ]


def test_bundle_and_yaml_give_the_same_rules_presets_and_questions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    question_file = Path(questions.__file__).with_name("questions.yaml")
    from_bundle = rules.load_rules(RULES)
    presets_from_bundle = memory.presets.__wrapped__()
    questions_from_bundle = questions.load_questions(question_file, from_bundle)

    monkeypatch.setattr(bundle, "_entries", dict)
    from_yaml = rules.load_rules(RULES)
    assert _rule_view(from_bundle) == _rule_view(from_yaml)
    assert from_bundle.sources == from_yaml.sources
    assert from_bundle.digest == from_yaml.digest
    assert presets_from_bundle == memory.presets.__wrapped__()
    assert questions_from_bundle == questions.load_questions(question_file, from_yaml)


def test_an_edited_rule_misses_the_bundle_and_is_read_as_yaml(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    rule = copy / "findings" / "finding.many-examples.yaml"
    assert rule.is_file()
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("summary: ", "summary: Edited. ", 1), encoding="utf-8")
    loaded = rules.load_rules(copy)
    assert loaded.by_id["finding.many-examples"].spec.summary.startswith("Edited. ")
    assert loaded.digest != rules.load_rules(RULES).digest


def test_a_broken_edited_rule_still_fails_with_its_line(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    rule = copy / "findings" / "finding.many-examples.yaml"
    rule.write_text(rule.read_text(encoding="utf-8") + "id: again\n", encoding="utf-8")
    with pytest.raises(rules.RulesError, match=r"many-examples\.yaml:\d+: id: duplicate key"):
        rules.load_rules(copy)


@pytest.mark.parametrize(
    "content",
    ["not json", json.dumps({"format": 99, "entries": {}}), json.dumps([1, 2])],
    ids=["garbage", "other-format", "wrong-shape"],
)
def test_an_unusable_bundle_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    broken = tmp_path / "_bundle.json"
    broken.write_text(content, encoding="utf-8")
    monkeypatch.setattr(bundle, "BUNDLE", broken)
    bundle._entries.cache_clear()
    try:
        assert bundle._entries() == {}
        assert len(rules.load_rules(RULES).by_id) > 30
    finally:
        bundle._entries.cache_clear()


def test_no_reader_changes_the_shared_data() -> None:
    # Every reader of the bundle's data, including the rule examples the tests run,
    # leaves it as it was decoded.
    import ftadvisor
    from ftadvisor.interview.session import answered_keys

    loaded = rules.load_rules(RULES)
    memory.presets.__wrapped__()
    questions.packaged_questions.__wrapped__()
    for rule in loaded.by_id.values():
        for example in (*rule.spec.examples.fires, *rule.spec.examples.does_not_fire):
            data = {"version": 1, "name": "x", **example.profile}
            result = ftadvisor.assess(ftadvisor.Profile.model_validate(data))
            _ = result.changes, result.plan  # computed from the shared data too
            answered_keys(example.profile)
    assert bundle._entries() == json.loads(bundle.BUNDLE.read_bytes())["entries"]


def test_unknown_bytes_miss() -> None:
    assert bundle.parsed(b"version: 1\nname: x\n", "x.yaml") == ({"version": 1, "name": "x"}, False)


def test_build_refuses_data_json_cannot_carry(tmp_path: Path) -> None:
    dated = tmp_path / "dated.yaml"
    dated.write_text("when: 2024-01-01\n", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON round trip"):
        build([dated])
