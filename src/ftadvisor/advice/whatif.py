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

from ftadvisor.advice.decide import Decision, step_only
from ftadvisor.advice.results import LADDER, OUTCOMES, Change, Edit
from ftadvisor.profile.model import EXPERTISE_ORDER, RETRIEVAL_ORDER
from ftadvisor.rules import conditions as cond
from ftadvisor.rules import unknowns
from ftadvisor.rules.loader import FactFile, OutcomeFile, RuleSet, RungFile

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
_DERIVED = tuple(f.name for f in cond.FIELDS.values() if f.derived)
_PLAIN = tuple(unknowns.REPORTED)
"""Keys an edit elsewhere can change by implication (evaluation and prompting)."""


def changes(rules: RuleSet, decision: Decision) -> tuple[Change, ...]:
    ctx = decision.ctx
    solve = _Solver(rules, ctx).satisfy
    found: dict[frozenset[tuple[str, Any]], str | None] = {}
    if decision.next_rung is not None:
        done = solve(decision.step_rule.conditions["done"], True)
        if done:
            found[frozenset(done.items())] = None
    for fact in rules.decision_facts:
        assert isinstance(fact.spec, FactFile)
        holds = ctx[cond.FACT_PREFIX + fact.spec.fact]
        edits = solve(fact.conditions["when"], not holds)
        if edits:
            found.setdefault(frozenset(edits.items()), fact.spec.fact)
    candidates = [(dict(edits), flipped) for edits, flipped in found.items()]

    current = decision.step_rule.spec
    best: dict[str, Change] = {}
    for edits, flipped in candidates:
        if decision.stated is None:
            trial = {**ctx, **edits}
        else:  # re-counted from what is stated: one stated key can imply another
            trial = {**ctx, **unknowns.resolve({**decision.stated, **edits})}
        cond.derive(trial)
        changed = set(edits)
        changed.update(k for k in _PLAIN if trial[k] != ctx[k])
        changed.update(k for k in _DERIVED if trial[k] != ctx[k])
        step = step_only(rules, trial, changed).spec
        if step.id == current.id:
            continue
        assert isinstance(step, RungFile | OutcomeFile)
        change = Change(
            next_step=step.step,
            edits=tuple(Edit(key=k, before=ctx.get(k), after=v) for k, v in sorted(edits.items())),
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


class _Solver:
    """Forward edits that make a condition come out a given way, memoised per profile:
    facts share sub-facts, and each is solved once."""

    def __init__(self, rules: RuleSet, ctx: dict[str, Any]) -> None:
        self.rules = rules
        self.ctx = ctx
        self.memo: dict[tuple[int, bool], Edits | None] = {}

    def satisfy(self, condition: cond.Condition, want: bool) -> Edits | None:
        key = (id(condition), want)
        if key not in self.memo:
            self.memo[key] = self._solve(condition, want)
        return self.memo[key]

    def _solve(self, condition: cond.Condition, want: bool) -> Edits | None:
        ctx = self.ctx
        if isinstance(condition, cond.Const):
            return {} if condition.value == want else None
        if isinstance(condition, cond.FactRef):
            if ctx[cond.FACT_PREFIX + condition.fact] == want:
                return {}
            return self.satisfy(self.rules.by_fact[condition.fact].conditions["when"], want)
        if isinstance(condition, cond.Not):
            return self.satisfy(condition.item, not want)
        if isinstance(condition, cond.All | cond.AnyOf):
            every = isinstance(condition, cond.All) == want
            options = [self.satisfy(item, want) for item in condition.items]
            if every:
                merged: Edits = {}
                for option in options:
                    if option is None:
                        return None
                    for name, value in option.items():
                        merged[name] = max(merged.get(name, value), value, key=_rank(name))
                return merged
            usable = [o for o in options if o is not None]
            return min(usable, key=len) if usable else None
        return _leaf(condition, want, ctx)


def _rank(key: str) -> Any:
    order = _ORDERED.get(key)
    return order.index if order else (lambda v: v)


_compiled = functools.lru_cache(maxsize=None)(cond.compile_condition)


def _leaf(leaf: cond.Leaf, want: bool, ctx: dict[str, Any]) -> Edits | None:
    if leaf.op == "stated":
        return None  # stating a key is not a move; its value is
    check = _compiled(leaf)
    if check(ctx) == want:
        return {}
    spec = cond.FIELDS[leaf.field]
    current = ctx[leaf.field]

    def works(value: Any) -> bool:
        return check({leaf.field: value}) == want  # a leaf reads its own field only

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
    check = _compiled(leaf)
    counts = {own: ctx[own], other: ctx[other]}

    def crosses(grow: str, extra: int) -> bool:
        trial = {**counts, grow: counts[grow] + extra}
        total = trial[own] + trial[other]
        return check({leaf.field: trial[own] / total if total else 0.0}) == want

    threshold = float(leaf.value)
    o, b = counts[own], counts[other]
    directions: tuple[str, ...] = (own, other)
    if leaf.op in ("ge", "gt", "le", "lt"):
        # More of `own` only raises its share, more of `other` only lowers it: one
        # direction can work, and searching the other would go on to the limit.
        raise_share = (leaf.op in ("ge", "gt")) == want
        directions = (own,) if raise_share else (other,)
    for grow in directions:
        ok = functools.partial(crosses, grow)
        # Where the share crosses the threshold, from (o+k)/(o+k+b) = t or o/(o+b+k) = t;
        # checked and nudged, with a search as the fallback for odd operators.
        if grow == own:
            estimate = (threshold * (o + b) - o) / (1 - threshold) if threshold < 1 else None
        else:
            estimate = o / threshold - o - b if threshold > 0 else None
        extra = _near(ok, estimate) if estimate is not None else None
        if extra is None:
            extra = _smallest(ok)
        if extra is not None:
            return {grow: counts[grow] + extra}
    return None


def _near(ok: Callable[[int], bool], estimate: float) -> int | None:
    """The smallest n ≥ 1 with ok(n), if it lies within a step or two of `estimate`."""
    start = max(1, math.floor(estimate) - 1)
    for n in range(start, start + 4):
        if ok(n):
            return n if n == 1 or not ok(n - 1) else None
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
