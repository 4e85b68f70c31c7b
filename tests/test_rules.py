"""Every rule's own examples, and the loader's refusal of malformed rules.

The parametrisation globs the rule files, so a new rule is tested by the examples it
carries; nothing here lists cases by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ftadvisor import Profile, assess
from ftadvisor.advice.decide import decide
from ftadvisor.errors import RulesError
from ftadvisor.rules.conditions import FACT_PREFIX
from ftadvisor.rules.loader import load_rules, packaged_rules

from .conftest import RULES

RULE_FILES = sorted(p for p in RULES.rglob("*.yaml") if p.name != "sources.yaml")


def _cases() -> list[Any]:
    cases = []
    for path in RULE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for expectation in ("fires", "does_not_fire"):
            for example in data["examples"][expectation]:
                cases.append(
                    pytest.param(
                        data,
                        expectation == "fires",
                        example,
                        id=f"{data['id']}::{expectation}::{example['name']}",
                    )
                )
    return cases


def fires(rule: dict[str, Any], profile: Profile) -> bool:
    """What "fires" means for each kind of rule."""
    kind = rule["kind"]
    if kind == "fact":
        return bool(decide(packaged_rules(), profile).ctx[FACT_PREFIX + rule["fact"]])
    result = assess(profile)
    if kind in ("rung", "outcome"):
        return result.next_step.id == rule["step"]
    assert kind == "finding"
    return any(f.rule == rule["id"] for f in result.findings)


@pytest.mark.parametrize(("rule", "should_fire", "example"), _cases())
def test_rule_example(rule: dict[str, Any], should_fire: bool, example: dict[str, Any]) -> None:
    profile = Profile.model_validate(
        {"version": 1, "name": rule["id"], **example.get("profile", {})}
    )
    assert fires(rule, profile) is should_fire


def test_every_rule_file_is_loaded_and_has_both_kinds_of_example() -> None:
    rules = packaged_rules()
    assert sorted(rules.by_id) == sorted(p.stem for p in RULE_FILES)
    for rule in rules.by_id.values():
        assert rule.spec.examples.fires and rule.spec.examples.does_not_fire


def test_packaged_rules_are_the_repository_rules() -> None:
    # A stale installed copy would make every other test here check the wrong rules.
    assert packaged_rules().digest == load_rules(RULES).digest


# ---- malformed rules are refused at load, naming the file and the rule -----------------


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def _edit(rules_dir: Path, rule_id: str, change: Any) -> Path:
    path = next(rules_dir.rglob(f"{rule_id}.yaml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _set(key: str, value: Any) -> Any:
    return lambda data: data.__setitem__(key, value)


@pytest.mark.parametrize(
    ("rule_id", "change", "message"),
    [
        (
            "fact.no-ml-expertise",
            _set("when", {"field": "resources.ml_expertise", "op": "equals", "value": "none"}),
            "unknown operator 'equals'",
        ),
        (
            "fact.no-ml-expertise",
            _set("when", {"field": "resources.ml_expertize", "op": "eq", "value": "none"}),
            "did you mean 'resources.ml_expertise'",
        ),
        (
            "fact.no-ml-expertise",
            _set("when", {"field": "resources.ml_expertise", "op": "eq", "value": "expert"}),
            "not a valid value",
        ),
        (
            "fact.no-ml-expertise",
            _set("when", {"field": "resources.ml_expertise", "op": "ge", "value": "some"}),
            "does not apply",
        ),
        (
            "fact.no-ml-expertise",
            _set("when", {"field": "retrieval", "op": "in", "value": "term"}),
            "needs a list",
        ),
        ("fact.no-ml-expertise", _set("when", {"xor": []}), "unknown operator"),
        ("fact.no-ml-expertise", _set("when", "__import__('os')"), "a condition is a mapping"),
        (
            "fact.no-ml-expertise",
            _set("when", {"fact": "no_such_fact"}),
            "unknown fact 'no_such_fact'",
        ),
        ("fact.no-ml-expertise", _set("rationale", []), "rationale"),
        (
            "fact.no-ml-expertise",
            _set("rationale", [{"text": "x", "source": "nobody-2099"}]),
            "unknown source 'nobody-2099'",
        ),
        (
            "fact.no-ml-expertise",
            lambda d: d["examples"].__setitem__("does_not_fire", []),
            "does_not_fire",
        ),
        ("fact.no-ml-expertise", _set("id", "fact.renamed"), "must be named fact.renamed.yaml"),
        ("fact.no-ml-expertise", _set("kind", "macro"), "kind"),
        ("fact.no-ml-expertise", _set("surprise", True), "surprise"),
        ("finding.no-goal", _set("key", "goals"), "not a profile key"),
        ("finding.no-goal", _set("severity", "fatal"), "severity"),
        ("rung.finetune", _set("step", "train_harder"), "step"),
    ],
)
def test_malformed_rule_is_refused(
    rules_copy: Path, rule_id: str, change: Any, message: str
) -> None:
    path = _edit(rules_copy, rule_id, change)
    with pytest.raises(RulesError) as caught:
        load_rules(rules_copy)
    text = str(caught.value)
    assert message in text
    assert str(path.name) in text or path.stem in text


def test_cycle_between_facts_is_refused(rules_copy: Path) -> None:
    _edit(rules_copy, "fact.evaluation-ready", _set("when", {"fact": "goal_met"}))
    with pytest.raises(RulesError, match="cycle"):
        load_rules(rules_copy)


def test_a_missing_rung_is_refused(rules_copy: Path) -> None:
    next(rules_copy.rglob("rung.rag-advanced.yaml")).unlink()
    with pytest.raises(RulesError, match="no rung rule for rag_advanced"):
        load_rules(rules_copy)


def test_a_duplicate_rung_is_refused(rules_copy: Path) -> None:
    original = next(rules_copy.rglob("rung.finetune.yaml"))
    copy = original.with_name("rung.finetune-again.yaml")
    copy.write_text(original.read_text().replace("id: rung.finetune", "id: rung.finetune-again"))
    with pytest.raises(RulesError, match="rung 'finetune' is also defined"):
        load_rules(rules_copy)


def test_duplicate_yaml_keys_in_a_rule_are_refused(rules_copy: Path) -> None:
    path = next(rules_copy.rglob("fact.cannot-serve.yaml"))
    path.write_text(path.read_text() + "\nsummary: again\n")
    with pytest.raises(RulesError, match="duplicate key"):
        load_rules(rules_copy)


def test_rules_from_another_directory_can_be_evaluated(rules_copy: Path) -> None:
    """Embedding tools can load their own copy; a changed threshold changes the advice."""
    from ftadvisor.advice.engine import evaluate

    def raise_floor(data: dict[str, Any]) -> None:
        data["when"]["value"] = 300

    _edit(rules_copy, "fact.too-few-examples", raise_floor)
    profile = Profile.model_validate(
        {
            "version": 1,
            "name": "x",
            "evaluation": {"criteria_defined": True, "pipeline": True},
            "prompting": {
                "systematic": True,
                "few_shot_examples": 5,
                "strongest_model_tried": True,
            },
            "failures": {"behavior": 10},
            "resources": {
                "training_examples": 150,
                "ml_expertise": "some",
                "can_serve_custom_model": True,
                "maintenance_budget": True,
            },
        }
    )
    assert assess(profile).next_step.id == "finetune"
    assert evaluate(load_rules(rules_copy), profile).next_step.id == "prepare_finetune"


def test_rules_reference_is_current() -> None:
    from ftadvisor.rules.docs import reference

    from .conftest import ROOT

    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == reference(packaged_rules()), (
        "docs/rules.md is stale: run `python -m ftadvisor.rules.docs > docs/rules.md`"
    )
