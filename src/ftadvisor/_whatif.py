"""What would change the advice: the smallest forward moves that alter the next step.

A team reading "prepare_finetune" wants to know what separates it from "finetune"
(two hundred more examples? a maintenance owner?), and whether a fact it has not
tallied yet would send it elsewhere. We derive candidate edits from the rules'
own conditions — complete the current step, or flip one fact — and keep those that,
re-assessed, really change the next step. Only forward moves are proposed (a count
grows, a `false` becomes `true`, retrieval or expertise goes up a level): undoing
progress is never advice, and reaching the goal itself is the objective, not a move.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from . import _conditions as cond
from ._decide import Decision, decide_context
from ._profile import EXPERTISE_ORDER, RETRIEVAL_ORDER
from ._result import LADDER, OUTCOMES, Change, Edit
from ._rules import FactFile, OutcomeFile, RuleSet, RungFile

MAX_CHANGES = 4
_ORDERED: dict[str, tuple[str, ...]] = {
    "retrieval": RETRIEVAL_ORDER,
    "resources.ml_expertise": EXPERTISE_ORDER,
}
_SHARES = {
    "failures.information_share": ("failures.information", "failures.behavior"),
    "failures.behavior_share": ("failures.behavior", "failures.information"),
}
Edits = dict[str, Any]


def changes(rules: RuleSet, decision: Decision) -> tuple[Change, ...]:
    ctx = decision.ctx
    candidates: list[tuple[Edits, str | None]] = []
    if decision.next_rung is not None:
        done = _satisfy(rules, decision.step_rule.conditions["done"], True, ctx)
        if done:
            candidates.append((done, None))
    for fact in rules.facts:
        assert isinstance(fact.spec, FactFile)
        holds = ctx[cond.FACT_PREFIX + fact.spec.fact]
        edits = _satisfy(rules, fact.conditions["when"], not holds, ctx)
        if edits:
            candidates.append((edits, fact.spec.fact))

    current = decision.step_rule.spec
    base = {k: v for k, v in ctx.items() if not k.startswith(cond.FACT_PREFIX)}
    best: dict[str, Change] = {}
    for edits, flipped in candidates:
        trial = {**base, **edits}
        cond.derive(trial)
        step = decide_context(rules, trial).step_rule.spec
        if step.id == current.id:
            continue
        assert isinstance(step, RungFile | OutcomeFile)
        change = Change.model_construct(
            next_step=step.step,
            edits=tuple(
                Edit.model_construct(key=k, before=ctx.get(k), after=v)
                for k, v in sorted(edits.items())
            ),
            fact=flipped,
        )
        previous = best.get(step.step)
        if previous is None or _size(change) < _size(previous):
            best[step.step] = change
    order = (*LADDER, *OUTCOMES)
    ranked = sorted(best.values(), key=lambda c: (_size(c), order.index(c.next_step)))
    return tuple(ranked[:MAX_CHANGES])


def _size(change: Change) -> tuple[int, float]:
    """Fewer edits first, then the smaller move (4 more failures beats 33 more)."""
    distance = 0.0
    for edit in change.edits:
        numbers = isinstance(edit.before, int | float) and not isinstance(edit.before, bool)
        distance += abs(edit.after - edit.before) if numbers else 1
    return len(change.edits), distance


def _satisfy(
    rules: RuleSet, condition: cond.Condition, want: bool, ctx: dict[str, Any]
) -> Edits | None:
    """Forward edits that make `condition` evaluate to `want`, or None if there are none."""
    if isinstance(condition, cond.Const):
        return {} if condition.value == want else None
    if isinstance(condition, cond.FactRef):
        if ctx[cond.FACT_PREFIX + condition.fact] == want:
            return {}
        return _satisfy(rules, rules.by_fact[condition.fact].conditions["when"], want, ctx)
    if isinstance(condition, cond.Not):
        return _satisfy(rules, condition.item, not want, ctx)
    if isinstance(condition, cond.All | cond.AnyOf):
        every = isinstance(condition, cond.All) == want
        options = [_satisfy(rules, item, want, ctx) for item in condition.items]
        if every:
            merged: Edits = {}
            for option in options:
                if option is None:
                    return None
                for key, value in option.items():
                    merged[key] = max(merged.get(key, value), value, key=_rank(key))
            return merged
        found = [o for o in options if o is not None]
        return min(found, key=len) if found else None
    return _leaf(condition, want, ctx)


def _rank(key: str) -> Any:
    order = _ORDERED.get(key)
    return order.index if order else (lambda v: v)


def _leaf(leaf: cond.Leaf, want: bool, ctx: dict[str, Any]) -> Edits | None:
    check = cond.compile_condition(leaf)
    if check(ctx) == want:
        return {}
    spec = cond.FIELDS[leaf.field]
    current = ctx[leaf.field]

    def works(value: Any) -> bool:
        return check({**ctx, leaf.field: value}) == want

    if leaf.field in _SHARES:
        return _share(leaf, want, ctx)
    if spec.derived or current is None:
        return None
    if spec.kind == "bool":
        return {leaf.field: True} if current is False and works(True) else None
    if leaf.field in _ORDERED:
        order = _ORDERED[leaf.field]
        later = order[order.index(current) + 1 :]
        return next(({leaf.field: v} for v in later if works(v)), None)
    if spec.kind == "number" and isinstance(current, int):
        bound = leaf.value if isinstance(leaf.value, int | float) else None
        if bound is None:
            return None
        for value in (math.ceil(bound), math.floor(bound) + 1, current + 1):
            if value > current and works(value):
                return {leaf.field: value}
    return None


def _share(leaf: cond.Leaf, want: bool, ctx: dict[str, Any]) -> Edits | None:
    """The fewest extra failures of one kind that move a share across its threshold."""
    own, other = _SHARES[leaf.field]
    check = cond.compile_condition(leaf)
    counts = {own: ctx[own], other: ctx[other]}

    def crosses(grow: str, extra: int) -> bool:
        trial = {**counts, grow: counts[grow] + extra}
        total = trial[own] + trial[other]
        return check({leaf.field: trial[own] / total if total else 0.0}) == want

    for grow in (own, other):
        extra = _smallest(functools.partial(crosses, grow))
        if extra is not None:
            return {grow: counts[grow] + extra}
    return None


def _smallest(ok: Callable[[int], bool], limit: int = 1 << 20) -> int | None:
    """The smallest n ≥ 1 with ok(n), for a monotone ok; None if there is none up to `limit`."""
    high = 1
    while not ok(high):
        high *= 2
        if high > limit:
            return None
    low = high // 2 + 1 if high > 1 else 1
    while low < high:
        mid = (low + high) // 2
        if ok(mid):
            high = mid
        else:
            low = mid + 1
    return high
