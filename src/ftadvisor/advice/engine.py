"""The advisor: evaluate the rule set against a profile and decide the next step.

The decision procedure is the contract's and is deliberately small: facts are
evaluated in dependency order, each rung reports whether it applies and whether it
is done, the earliest rung that applies and is not done is the next step, and when
none is pending an outcome rule (`no_change`, `review_failures`) names the step.
Everything domain-specific — thresholds, branches, gates — lives in the rule files.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from ftadvisor._version import __version__
from ftadvisor.advice.decide import Decision, decide, failure_mode
from ftadvisor.advice.results import (
    SEVERITIES,
    Assessment,
    Finding,
    Intent,
    NextStep,
    Reason,
    Rung,
    RungStatus,
    Tally,
    Versions,
)
from ftadvisor.advice.whatif import changes
from ftadvisor.profile.model import CONTRACT_VERSION, Profile
from ftadvisor.rules import conditions as cond
from ftadvisor.rules.conditions import Check
from ftadvisor.rules.loader import FindingFile, OutcomeFile, RuleSet, RungFile, packaged_rules


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
    ctx = decision.ctx
    parts = _parts(rules)
    spec = decision.step_rule.spec
    assert isinstance(spec, RungFile | OutcomeFile)
    next_step = NextStep(
        id=spec.step,
        title=spec.title,
        rule=spec.id,
        reasons=_reasons(rules, decision),
    )
    nxt = decision.next_rung
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
    failures = profile.failures
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
        failures=Tally(information=failures.information, behavior=failures.behavior),
        roadmap=roadmap,
        findings=tuple(f for check, f in parts.findings if check(ctx)),
        intent=_intent(profile, next_step, roadmap),
        versions=parts.versions,
    )


class _Parts(NamedTuple):
    rungs: tuple[dict[RungStatus, Rung], ...]
    findings: tuple[tuple[Check, Finding], ...]
    """In report order: severity, then rule id."""
    versions: Versions


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
    parts = _Parts(tuple(rungs), tuple(findings), versions)
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
