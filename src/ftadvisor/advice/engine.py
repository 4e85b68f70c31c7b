"""The advisor: evaluate the rule set against a profile and decide the next step.

The decision procedure is the contract's and is deliberately small: facts are
evaluated in dependency order, each rung reports whether it applies and whether it
is done, the earliest rung that applies and is not done is the next step, and when
none is pending an outcome rule (`no_change`, `review_failures`) names the step.
Everything domain-specific — thresholds, branches, gates — lives in the rule files.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

from ftadvisor._version import __version__
from ftadvisor.advice.decide import Decision, decide, failure_mode, step_only
from ftadvisor.advice.results import (
    NOT_STATED,
    SEVERITIES,
    Assessment,
    Assumption,
    Finding,
    Intent,
    NextStep,
    Reason,
    Rung,
    RungStatus,
    Tally,
    Then,
    Versions,
)
from ftadvisor.advice.whatif import changes
from ftadvisor.profile.model import CONTRACT_VERSION, Profile
from ftadvisor.rules import conditions as cond
from ftadvisor.rules import unknowns
from ftadvisor.rules.conditions import Check
from ftadvisor.rules.loader import (
    FindingFile,
    OutcomeFile,
    Rule,
    RuleSet,
    RungFile,
    packaged_rules,
)


def assess(profile: Profile) -> Assessment:
    """Advise on one profile with the packaged rules.

    Pure: no printing, no prompts, no I/O beyond loading the rules once per process.
    """
    return evaluate(packaged_rules(), profile)


def evaluate(rules: RuleSet, profile: Profile) -> Assessment:
    """Advise on one profile with a given rule set (tests and embedding tools use this).

    The parts that depend only on the rules (rungs by status, findings, versions) are
    made once per rule set and shared by every assessment.
    """
    decision = decide(rules, profile)
    ctx, stated = decision.ctx, decision.stated
    assert stated is not None
    parts = _parts(rules)
    spec = decision.step_rule.spec
    assert isinstance(spec, RungFile | OutcomeFile)
    assumptions = _assumptions(rules, stated, ctx, spec.step)
    ctx["assumptions.count"] = len(assumptions)
    nxt = decision.next_rung
    next_step = NextStep(
        id=spec.step,
        title=spec.title,
        rule=spec.id,
        reasons=_reasons(rules, decision),
        then=_then(rules, decision),
    )
    roadmap = tuple(
        parts.rungs[i][
            "next"
            if i == nxt
            else "done"
            if done
            else "later"
            if applies and nxt is not None
            else "not_needed"
        ]
        for i, (applies, done) in enumerate(decision.rungs)
    )
    plan = None
    if spec.step in ("finetune", "prepare_finetune"):
        from ftadvisor.plan.plan import make_plan  # memory model and presets load only when needed

        distilling = bool(ctx.get(cond.FACT_PREFIX + "distillation_path"))
        plan = functools.partial(make_plan, rules, profile, distilling)
    return Assessment(
        what_if=functools.partial(changes, rules, decision),
        planner=plan,
        name=profile.name,
        next_step=next_step,
        failure_mode=failure_mode(ctx),
        failures=Tally(information=ctx["failures.information"], behavior=ctx["failures.behavior"]),
        roadmap=roadmap,
        findings=_findings(parts, ctx, assumptions),
        assumptions=assumptions,
        intent=_intent(profile, next_step, roadmap),
        versions=parts.versions,
    )


class _Parts(NamedTuple):
    rungs: tuple[dict[RungStatus, Rung], ...]
    findings: tuple[tuple[Check, Finding], ...]
    """In report order: severity, then rule id."""
    versions: Versions
    examples_floor: int
    """The PEFT floor the rules use (fact too_few_examples), for reporting its unknown."""


_PARTS: dict[int, tuple[RuleSet, _Parts]] = {}


def _parts(rules: RuleSet) -> _Parts:
    cached = _PARTS.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    rungs: list[dict[RungStatus, Rung]] = []
    statuses: tuple[RungStatus, ...] = ("done", "next", "later", "not_needed")
    for rule in rules.rungs:
        spec = rule.spec
        assert isinstance(spec, RungFile)
        rungs.append(
            {
                status: Rung(
                    id=spec.step, title=spec.title, label=spec.label, status=status, rule=spec.id
                )
                for status in statuses
            }
        )
    findings = []
    for rule in rules.findings:
        spec = rule.spec
        assert isinstance(spec, FindingFile)
        finding = Finding(
            rule=spec.id,
            severity=spec.severity,
            message=" ".join(spec.message.split()),
            key=spec.key,
            reasons=rule.reasons,
        )
        findings.append((rule.checks["when"], finding))
    findings.sort(key=lambda pair: (SEVERITIES.index(pair[1].severity), pair[1].rule))
    versions = Versions(ftadvisor=__version__, contract=CONTRACT_VERSION, rules=rules.digest)
    parts = _Parts(tuple(rungs), tuple(findings), versions, _examples_floor(rules))
    _PARTS[id(rules)] = (rules, parts)
    return parts


def _intent(profile: Profile, step: NextStep, roadmap: tuple[Rung, ...]) -> Intent | None:
    """Whether the planned step comes before its time (contract, `--fail-on premature`).

    Premature: its rung comes after the next step's rung, its rung is not needed for
    this profile, or the advice is `no_change` / `review_failures` and the plan is
    anything else. A plan for a rung already done is redundant, not premature.
    """
    intent = profile.intent
    if intent is None:
        return None
    order = {r.id: i for i, r in enumerate(roadmap)}
    status = {r.id: r.status for r in roadmap}
    why = step.reasons[0].text if step.reasons else ""
    premature = False
    if intent == step.id:
        message = f"the planned step {intent} is the advised next step"
    elif step.id not in order:  # the advice is an outcome: anything else is premature
        premature = True
        message = f"{intent} is planned, but the advice is {step.id} ({step.title}): {why}"
    elif intent not in order:
        message = f"{intent} is planned; the advised next step is {step.id} ({step.title})"
    elif order[intent] > order[step.id]:
        premature = True
        message = f"{intent} is planned, but {step.id} comes first ({step.title}): {why}"
    elif status[intent] == "not_needed":
        premature = True
        message = (
            f"{intent} is planned, but this profile does not need it; the next step is "
            f"{step.id} ({step.title}): {why}"
        )
    else:
        message = f"the planned step {intent} is already done; the next step is {step.id}"
    return Intent(id=intent, premature=premature, message=message)


def _reasons(rules: RuleSet, decision: Decision) -> tuple[Reason, ...]:
    """Why this step: the facts behind it that hold, then the step's own rationale.

    A fact that is a disjunction of other facts (a readiness gap, say) is replaced by
    the alternatives that hold, because "fewer than 300 examples" helps a reader more
    than "some gate is open". Each fact contributes its first rationale line.
    """
    ctx = decision.ctx
    evidence: dict[str, None] = {}

    def collect(condition: cond.Condition) -> None:
        if isinstance(condition, cond.All | cond.AnyOf):
            for item in condition.items:
                collect(item)
        elif isinstance(condition, cond.Not):
            collect(condition.item)
        elif isinstance(condition, cond.FactRef) and ctx[cond.FACT_PREFIX + condition.fact]:
            when = rules.by_fact[condition.fact].conditions["when"]
            if isinstance(when, cond.AnyOf) and all(
                isinstance(i, cond.FactRef) for i in when.items
            ):
                collect(when)
            else:
                evidence[condition.fact] = None

    for condition in decision.step_rule.conditions.values():
        collect(condition)
    reasons = [rules.by_fact[name].reasons[0] for name in evidence]
    reasons.extend(decision.step_rule.reasons)
    seen: set[int] = set()
    return tuple(r for r in reasons if id(r) not in seen and not seen.add(id(r)))  # type: ignore[func-returns-value]


_FLIPPABLE = (
    *unknowns.REPORTED,
    *(f.name for f in cond.FIELDS.values() if f.derived and f.name != "assumptions.count"),
)
EARLY_RUNGS = 3
"""Evaluation, prompting and examples: steps that come before what the failures say."""
_LEANING = {
    "information": "your failures are about facts",
    "behavior": "your failures are about form",
    "mixed": "your failures are of both kinds, and facts come first",
}


def _assumptions(
    rules: RuleSet, stated: dict[str, object], ctx: dict[str, object], step: str
) -> tuple[Assumption, ...]:
    """Each unstated key of the reported groups whose other value changes the step,
    found by re-deciding the profile with that key stated the other way."""
    found = []
    floor = _parts(rules).examples_floor
    for key, reported in unknowns.REPORTED.items():
        if stated[key] is not None:
            continue
        taken = ctx[key]
        if reported.group == "readiness":
            assumed = floor if key == "resources.training_examples" else unknowns.ASSUMED_READY[key]
            other = floor - 1 if reported.if_not == "below-floor" else reported.if_not
        else:
            assumed = taken
            other = (not taken) if reported.if_not is None else reported.if_not
        if key == "resources.training_examples" and other < 0:
            continue
        trial = {**ctx, **unknowns.resolve({**stated, key: other})}
        cond.derive(trial)
        # Only facts that read a key the flip changed (itself, or one it implies) move.
        changed = {k for k in _FLIPPABLE if trial[k] != ctx[k]}
        rule = step_only(rules, trial, changed)
        assert isinstance(rule.spec, RungFile | OutcomeFile)
        if rule.spec.step == step:
            continue
        found.append(
            Assumption(
                key=key,
                assumed=assumed,
                if_not=rule.spec.step,
                message=_assumption_message(key, reported.group, assumed, other, rule),
            )
        )
    return tuple(found)


def _assumption_message(key: str, group: str, assumed: object, other: object, rule: Rule) -> str:
    def value(v: object) -> str:
        return str(v).lower() if isinstance(v, bool) else str(v)

    spec = rule.spec
    assert isinstance(spec, RungFile | OutcomeFile)
    if key == "resources.training_examples":
        taken, otherwise = f"assumed to be at least {assumed}", "with fewer"
    elif group == "readiness":
        taken, otherwise = f"assumed {value(assumed)}", f"if {value(other)}"
    else:
        taken, otherwise = f"counted as {value(assumed)}", f"if {value(other)}"
    return (
        f"{key} is not stated and is {taken}; {otherwise}, the next step would be "
        f"{spec.step} ({spec.title}). State it to settle the advice."
    )


def _then(rules: RuleSet, decision: Decision) -> Then | None:
    nxt = decision.next_rung
    if nxt is None or nxt >= EARLY_RUNGS:
        return None
    ctx = decision.ctx
    later = [
        i
        for i, (applies, done) in enumerate(decision.rungs)
        if i >= EARLY_RUNGS and applies and not done
    ]
    if not later:
        return None
    first = later[0]
    for index, early, ahead_of in rules.early_rungs:
        if first in ahead_of and index in later and early(ctx):
            first = index
    spec = rules.rungs[first].spec
    assert isinstance(spec, RungFile)
    mode = failure_mode(ctx)
    because = _LEANING.get(mode, "")
    if spec.step == "decompose_task" and first != later[-1]:
        because = "your failures are about form, and one prompt does several sub-tasks"
    return Then(id=spec.step, title=spec.title, because=because)


def _findings(
    parts: _Parts, ctx: dict[str, object], assumptions: tuple[Assumption, ...]
) -> tuple[Finding, ...]:
    fired: list[Finding] = []
    for check, finding in parts.findings:
        if not check(ctx):
            continue
        if finding.rule == NOT_STATED:
            fired.extend(
                dataclasses.replace(finding, key=a.key, message=a.message) for a in assumptions
            )
        else:
            fired.append(finding)
    return tuple(fired)


def _examples_floor(rules: RuleSet) -> int:
    fact = rules.by_fact.get("too_few_examples")
    if fact is not None:
        condition = fact.conditions["when"]
        if (
            isinstance(condition, cond.Leaf)
            and condition.field == "resources.training_examples"
            and condition.op == "lt"
        ):
            return int(condition.value)
    return 1
