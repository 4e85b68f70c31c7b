"""The questionnaire as data, and which question is worth asking next.

A question is worth asking when some answer to it could change the next step, given
the answers so far and defaults for the rest. We test that by probing: assess the
profile once per representative answer (both booleans, every choice, each side of
every threshold the rules use on that key) and see whether the step differs. The
next question is the first one in file order that still matters; re-checking from
the top after every answer lets a question skipped earlier come back once a later
answer makes it relevant.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ftadvisor.advice.decide import decide
from ftadvisor.bundle import parsed
from ftadvisor.errors import RulesError
from ftadvisor.profile.model import Profile
from ftadvisor.rules import conditions as cond
from ftadvisor.rules.loader import Rule, RuleSet, packaged_rules

REVIEW_KEYS = ("failures.information", "failures.behavior")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class SourceRef(_Strict):
    id: str
    section: str | None = None


class FromFile(_Strict):
    """Evidence on disk that can answer the question in place of a number typed from
    memory: evaluation results (the failure tallies) or a training file (its usable
    examples)."""

    reader: Literal["evals", "training"]
    text: str = Field(min_length=1)


class QuestionSpec(_Strict):
    key: str
    kind: Literal["field", "review"] = "field"
    text: str = Field(min_length=1)
    help: str = Field(min_length=1)
    source: SourceRef | None = None
    optional: bool = False
    always: bool = False
    group: str | None = None
    requires: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=list)
    aliases: dict[str, str] = Field(default_factory=dict)
    """Words people use for a choice (`bm25` for `term`), suggested when typed."""
    from_file: FromFile | None = None
    probes: list[dict[str, Any]] = Field(default_factory=list)


_FILE = TypeAdapter(list[QuestionSpec])


@dataclass(frozen=True, slots=True)
class Question:
    spec: QuestionSpec
    field: cond.FieldSpec | None
    """The profile field it fills; None for the failure review (two fields)."""
    cite: str | None
    probes: tuple[dict[str, Any], ...]

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def fills(self) -> tuple[str, ...]:
        return REVIEW_KEYS if self.spec.kind == "review" else (self.spec.key,)


@functools.cache
def packaged_questions() -> tuple[Question, ...]:
    return load_questions(Path(__file__).with_name("questions.yaml"), packaged_rules())


def load_questions(path: Path, rules: RuleSet) -> tuple[Question, ...]:
    data, _ = parsed(path.read_bytes(), str(path))
    try:
        specs = _FILE.validate_python(data)
    except ValidationError as exc:
        raise RulesError(f"{path}: {exc}") from None
    questions: list[Question] = []
    seen: set[str] = set()
    for spec in specs:
        where = f"{path}: question {spec.key!r}"
        field = None
        if spec.kind == "field":
            field = cond.FIELDS.get(spec.key)
            if field is None or field.derived:
                raise RulesError(f"{where}: not a profile key")
        elif spec.key != "failures":
            raise RulesError(f"{where}: the review question fills 'failures'")
        for required in [*spec.requires, *spec.unless]:
            if required not in seen:
                raise RulesError(f"{where}: requires {required!r}, which no earlier question asks")
        cite = None
        if spec.source is not None:
            source = rules.sources.get(spec.source.id)
            if source is None:
                raise RulesError(f"{where}: unknown source {spec.source.id!r}")
            cite = f"{source.cite}, {spec.source.section}" if spec.source.section else source.cite
        wrong = [a for a, c in spec.aliases.items() if field is None or c not in field.choices]
        if wrong:
            raise RulesError(f"{where}: aliases {', '.join(wrong)} name no choice of the key")
        probes = tuple(spec.probes) or tuple(_probes(spec.key, field, rules))
        questions.append(Question(spec, field, cite, probes))
        seen.add(spec.key)
    return tuple(questions)


def _probes(key: str, field: cond.FieldSpec | None, rules: RuleSet) -> Iterator[dict[str, Any]]:
    if field is None:
        return
    if field.kind == "bool":
        values: list[Any] = [False, True]
    elif field.kind == "enum":
        values = list(field.choices)
    elif field.kind == "number" and field.integer:
        bounds = {v for v in _thresholds(key, rules) if isinstance(v, int | float)}
        values = sorted(
            {0} | {n for v in bounds for n in (math.floor(v) - 1, math.ceil(v), math.floor(v) + 1)}
        )
        values = [v for v in values if v >= 0]
    else:
        return
    for value in values:
        yield nest({key: value})


def _thresholds(key: str, rules: RuleSet) -> Iterator[Any]:
    def leaves(condition: cond.Condition) -> Iterator[cond.Leaf]:
        if isinstance(condition, cond.Leaf):
            yield condition
        elif isinstance(condition, cond.All | cond.AnyOf):
            for item in condition.items:
                yield from leaves(item)
        elif isinstance(condition, cond.Not):
            yield from leaves(condition.item)

    rule: Rule
    for rule in rules.by_id.values():
        for condition in rule.conditions.values():
            yield from (leaf.value for leaf in leaves(condition) if leaf.field == key)


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """`{"goal.current": 1}` → `{"goal": {"current": 1}}`; None values are left out."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None:
            continue
        section, _, leaf = key.rpartition(".")
        (out.setdefault(section, {}) if section else out)[leaf] = value
    return out


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def profile_data(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The profile the answers so far describe; an unfinished goal is left out."""
    data = nest(answers)
    goal = data.get("goal")
    if goal is not None and not ({"current", "target"} <= set(goal) or "met" in goal):
        del data["goal"]
    return {"version": 1, "name": answers.get("name") or "draft", **data}


def is_answered(question: Question, answers: Mapping[str, Any]) -> bool:
    return any(key in answers for key in question.fills)


def applies(question: Question, answers: Mapping[str, Any]) -> bool:
    return all(answers.get(key) not in (None, "") for key in question.spec.requires) and all(
        answers.get(key) in (None, "") for key in question.spec.unless
    )


def matters(
    question: Question,
    answers: Mapping[str, Any],
    rules: RuleSet,
    questions: tuple[Question, ...] = (),
) -> bool:
    """Whether some answer to `question` would give a different next step.

    Tried against two backgrounds for the questions not yet answered: their defaults,
    and a hopeful one in which each takes its last probe (true, the top choice, the
    largest count). The second catches keys that only matter together, such as the
    two evaluation keys or the four readiness gates.
    """
    if not question.probes:
        return True
    hopeful: dict[str, Any] = {}
    for other in questions:
        if (
            other is not question
            and other.probes
            and not is_answered(other, answers)
            and applies(other, answers)
        ):
            hopeful = _merge(hopeful, other.probes[-1])
    base = profile_data(answers)
    for background in (base, _merge(hopeful, base)):
        steps = set()
        for probe in question.probes:
            try:
                profile = Profile.model_validate(_merge(background, probe))
            except ValidationError:
                continue
            steps.add(decide(rules, profile).step_rule.id)
            if len(steps) > 1:
                return True
    return False


def next_question(
    questions: tuple[Question, ...], answers: Mapping[str, Any], rules: RuleSet, *, full: bool
) -> Question | None:
    open_groups = {q.spec.group for q in questions if q.spec.group and is_answered(q, answers)}
    for question in questions:
        if is_answered(question, answers) or not applies(question, answers):
            continue
        if (
            full
            or question.spec.always
            or question.spec.group in open_groups
            or matters(question, answers, rules, questions)
        ):
            return question
    return None
