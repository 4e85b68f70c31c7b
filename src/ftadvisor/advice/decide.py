"""Picking the next step, without any wording: shared by the engine and the what-ifs."""

from __future__ import annotations

from typing import Any, NamedTuple

from ftadvisor.advice.results import FailureMode
from ftadvisor.errors import RulesError
from ftadvisor.profile.model import Profile
from ftadvisor.rules import conditions as cond
from ftadvisor.rules import unknowns
from ftadvisor.rules.loader import Rule, RuleSet


class Decision(NamedTuple):
    """The part of an assessment that picks the step, without any wording."""

    ctx: dict[str, Any]
    rungs: tuple[tuple[bool, bool], ...]
    """(applies, done) per rung, in ladder order."""
    next_rung: int | None
    step_rule: Rule
    stated: dict[str, Any] | None = None
    """What the profile states (None where it does not): a variant of the profile is
    re-counted from it, since one stated key can imply another."""


def decide(rules: RuleSet, profile: Profile) -> Decision:
    stated = cond.stated(profile)
    ctx = unknowns.resolve(stated)
    cond.derive(ctx)
    return decide_context(rules, ctx, stated)


def decide_context(
    rules: RuleSet, ctx: dict[str, Any], stated: dict[str, Any] | None = None
) -> Decision:
    """The decision for a flat context (see `conditions.context`); facts are added to it."""
    for key, check in rules.fact_checks:
        ctx[key] = check(ctx)
    states = tuple((applies(ctx), done(ctx)) for applies, done in rules.rung_checks)
    pending = next((i for i, (applies, done) in enumerate(states) if applies and not done), None)
    pending = _early(rules, ctx, pending)
    if pending is not None:
        return Decision(ctx, states, pending, rules.rungs[pending], stated)
    for outcome in rules.outcomes:
        if outcome.checks["when"](ctx):
            return Decision(ctx, states, None, outcome, stated)
    raise RulesError(
        "no rung is pending and no outcome rule fired: the outcome rules must cover every case"
    )


def step_only(rules: RuleSet, ctx: dict[str, Any], changed: set[str] | None = None) -> Rule:
    """The rule naming the next step, evaluating rungs only until the first pending one.

    For the what-if search, which needs the step of a dozen variants and nothing else.
    With `changed` (the keys in which `ctx` differs from a context whose facts it
    still holds), only the facts that read a changed key are recomputed; a fact that
    comes out different joins `changed` for the facts after it.
    """
    if changed is None:
        for key, check in rules.fact_checks:
            ctx[key] = check(ctx)
    else:
        for key, check, read in rules.fact_reads:
            if not changed.isdisjoint(read):
                value = check(ctx)
                if value != ctx[key]:
                    ctx[key] = value
                    changed.add(key)
    for i, (applies, done) in enumerate(rules.rung_checks):
        if applies(ctx) and not done(ctx):
            return rules.rungs[_early(rules, ctx, i) or i]
    for outcome in rules.outcomes:
        if outcome.checks["when"](ctx):
            return outcome
    raise RulesError("no rung is pending and no outcome rule fired")


def _early(rules: RuleSet, ctx: dict[str, Any], pending: int | None) -> int | None:
    """The rung that goes ahead of the pending one, if an `early` condition says so."""
    if pending is not None:
        for index, early, ahead_of in rules.early_rungs:
            if pending in ahead_of:
                done = rules.rung_checks[index][1]
                if early(ctx) and not done(ctx):
                    return index
    return pending


def failure_mode(ctx: dict[str, Any]) -> FailureMode:
    information = ctx[cond.FACT_PREFIX + "information_present"]
    behavior = ctx[cond.FACT_PREFIX + "behavior_present"]
    if information and behavior:
        return "mixed"
    if information:
        return "information"
    if behavior:
        return "behavior"
    if ctx["failures.total"] == 0:
        return "none"
    # Only reachable with a presence threshold above one half: the larger share wins.
    shares = ctx["failures.information_share"], ctx["failures.behavior_share"]
    return "information" if shares[0] >= shares[1] else "behavior"
