"""The rule condition language: `all` / `any` / `not` over field–operator–value.

Conditions are parsed once into a small tree and compiled into closures, so that
evaluating a rule is a few function calls: no `eval`, no templates, nothing a rule
file can use to run code. Unknown fields or operators, or values of the wrong type
for a field, are refused when the rule is loaded.
"""

from __future__ import annotations

import operator
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

from ftadvisor.profile.model import Profile, field_type, goal_met, section_model
from ftadvisor.rules import unknowns

Context = Mapping[str, Any]
Check = Callable[[Context], bool]

FieldKind = Literal["bool", "number", "enum", "text"]


class FieldSpec(NamedTuple):
    """What a condition may say about one field."""

    name: str
    kind: FieldKind
    choices: tuple[str, ...] = ()
    optional: bool = False
    derived: bool = False
    description: str = ""
    integer: bool = False


_NUMBER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
OPERATORS: tuple[str, ...] = (*_NUMBER_OPS, "in", "not_in", "stated")
_OPS_BY_KIND: dict[FieldKind, tuple[str, ...]] = {
    "bool": ("eq", "ne", "stated"),
    "number": (*_NUMBER_OPS, "stated"),
    "enum": ("eq", "ne", "in", "not_in", "stated"),
    "text": ("eq", "ne", "in", "not_in", "stated"),
}
STATED = unknowns.STATED

DERIVED_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "failures.total",
        "number",
        derived=True,
        description="information + behavior failures tallied",
    ),
    FieldSpec(
        "failures.information_share",
        "number",
        derived=True,
        description="information failures / all tallied (0 when none are)",
    ),
    FieldSpec(
        "failures.behavior_share",
        "number",
        derived=True,
        description="behavior failures / all tallied (0 when none are)",
    ),
    FieldSpec("goal.present", "bool", derived=True, description="the profile states a goal"),
    FieldSpec(
        "assumptions.count",
        "number",
        derived=True,
        description=(
            "unstated keys the next step depends on (known once the step is; 0 while "
            "the step is being decided, so only findings may read it)"
        ),
    ),
    FieldSpec(
        "goal.reached",
        "bool",
        derived=True,
        description=(
            "current reaches target in the goal's direction, or the goal is judged met "
            "(`goal.met: true`); false without a goal"
        ),
    ),
)


def _profile_fields() -> Iterator[FieldSpec]:
    def walk(model: type[BaseModel], prefix: str, optional: bool) -> Iterator[FieldSpec]:
        for name, info in model.model_fields.items():
            base, field_optional = field_type(info.annotation)
            field_optional = field_optional or optional
            nested = section_model(info.annotation)
            if nested is not None:
                yield from walk(nested, f"{prefix}{name}.", field_optional)
                continue
            if typing.get_origin(base) is Literal:
                choices = typing.get_args(base)
                if all(isinstance(c, str) for c in choices):
                    yield FieldSpec(
                        prefix + name,
                        "enum",
                        tuple(choices),
                        field_optional,
                        description=info.description or "",
                    )
                continue  # `version` is not something a rule can ask about
            kind: FieldKind = (
                "bool" if base is bool else "number" if base in (int, float) else "text"
            )
            yield FieldSpec(
                prefix + name,
                kind,
                (),
                field_optional,
                description=info.description or "",
                integer=base is int,
            )

    yield from walk(Profile, "", False)


FIELDS: dict[str, FieldSpec] = {f.name: f for f in (*_profile_fields(), *DERIVED_FIELDS)}


def _plan() -> tuple[tuple[str | None, tuple[tuple[str, str], ...]], ...]:
    """(section, ((context key, attribute), …)) for every plain field, grouped by section."""
    groups: dict[str | None, list[tuple[str, str]]] = {}
    for spec in FIELDS.values():
        if spec.derived:
            continue
        section, _, attribute = spec.name.rpartition(".")
        groups.setdefault(section or None, []).append((spec.name, attribute))
    return tuple((section, tuple(fields)) for section, fields in groups.items())


_PLAN = _plan()


def context(profile: Profile) -> dict[str, Any]:
    """The flat view of a profile that conditions read: unknowns counted as the contract
    says (`ftadvisor.rules.unknowns`), derived fields included."""
    ctx = unknowns.resolve(stated(profile))
    derive(ctx)
    return ctx


def stated(profile: Profile) -> dict[str, Any]:
    """The flat view of what the profile states: None for every key it leaves out."""
    ctx: dict[str, Any] = {}
    for section, fields in _PLAN:
        source = profile if section is None else getattr(profile, section)
        if source is None:  # a section left out (goal, hardware, model)
            for key, _ in fields:
                ctx[key] = None
        else:
            for key, attribute in fields:
                ctx[key] = getattr(source, attribute)
    return ctx


def derive(ctx: dict[str, Any]) -> None:
    """(Re)compute the derived fields from the plain ones, in place."""
    information, behavior = ctx["failures.information"], ctx["failures.behavior"]
    total = information + behavior
    ctx["failures.total"] = total
    ctx["failures.information_share"] = information / total if total else 0.0
    ctx["failures.behavior_share"] = behavior / total if total else 0.0
    ctx.setdefault("assumptions.count", 0)
    current, target = ctx["goal.current"], ctx["goal.target"]
    measured = current is not None and target is not None
    ctx["goal.present"] = measured or ctx["goal.met"] is not None
    ctx["goal.reached"] = (
        goal_met(current, target, ctx["goal.higher_is_better"] is not False)
        if measured
        else ctx["goal.met"] is True
    )


# ---- the tree -----------------------------------------------------------------------


class Const(NamedTuple):
    value: bool


class Leaf(NamedTuple):
    field: str
    op: str
    value: Any


class FactRef(NamedTuple):
    fact: str


class All(NamedTuple):
    items: tuple[Condition, ...]


class AnyOf(NamedTuple):
    items: tuple[Condition, ...]


class Not(NamedTuple):
    item: Condition


Condition = Const | Leaf | FactRef | All | AnyOf | Not

FACT_PREFIX = "fact:"


class ConditionError(ValueError):
    """A condition that does not follow the language; `where` is its path in the rule."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


def parse(raw: Any, where: str) -> Condition:
    """Turn a condition as written in YAML into the tree, or explain why not."""
    if isinstance(raw, bool):
        return Const(raw)
    if not isinstance(raw, dict):
        raise ConditionError(where, "a condition is a mapping with all, any, not, fact or field")
    keys = set(raw)
    if keys == {"all"} or keys == {"any"}:
        (name,) = keys
        items = raw[name]
        if not isinstance(items, list):
            raise ConditionError(f"{where}.{name}", "expected a list of conditions")
        parsed = tuple(parse(item, f"{where}.{name}[{i}]") for i, item in enumerate(items))
        return All(parsed) if name == "all" else AnyOf(parsed)
    if keys == {"not"}:
        return Not(parse(raw["not"], f"{where}.not"))
    if keys == {"fact"}:
        if not isinstance(raw["fact"], str):
            raise ConditionError(f"{where}.fact", "expected the name of a fact")
        return FactRef(raw["fact"])
    if "field" in keys:
        return _leaf(raw, where)
    raise ConditionError(
        where, f"unknown operator {sorted(keys)}; expected all, any, not, fact, or field/op/value"
    )


def _leaf(raw: dict[str, Any], where: str) -> Leaf:
    extra = set(raw) - {"field", "op", "value"}
    if extra or set(raw) != {"field", "op", "value"}:
        raise ConditionError(where, "a field test has exactly the keys field, op and value")
    name, op, value = raw["field"], raw["op"], raw["value"]
    spec = FIELDS.get(name)
    if spec is None:
        import difflib

        close = difflib.get_close_matches(str(name), FIELDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConditionError(f"{where}.field", f"unknown field {name!r}{hint}")
    if op not in OPERATORS:
        raise ConditionError(
            f"{where}.op", f"unknown operator {op!r}; expected one of {', '.join(OPERATORS)}"
        )
    if op not in _OPS_BY_KIND[spec.kind]:
        raise ConditionError(f"{where}.op", f"{op!r} does not apply to {spec.kind} field {name!r}")
    if op == "stated":
        if spec.derived or not isinstance(value, bool):
            raise ConditionError(f"{where}.value", "'stated' takes true or false, on a profile key")
        return Leaf(name, op, value)
    values = value if op in ("in", "not_in") else [value]
    if op in ("in", "not_in") and not isinstance(value, list):
        raise ConditionError(f"{where}.value", f"{op!r} needs a list of values")
    for v in values:
        _check_value(spec, v, f"{where}.value")
    return Leaf(name, op, tuple(value) if isinstance(value, list) else value)


def _check_value(spec: FieldSpec, value: Any, where: str) -> None:
    if value is None:
        if spec.optional:
            return
        raise ConditionError(where, f"{spec.name!r} always has a value; null never matches")
    ok = {
        "bool": isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "enum": value in spec.choices,
        "text": isinstance(value, str),
    }[spec.kind]
    if not ok:
        expected = {
            "bool": "true or false",
            "number": "a number",
            "enum": "one of " + ", ".join(spec.choices),
            "text": "text",
        }[spec.kind]
        raise ConditionError(
            where, f"{value!r} is not a valid value for {spec.name!r}: expected {expected}"
        )


def facts_in(condition: Condition) -> Iterator[str]:
    """Names of the facts a condition refers to, directly."""
    if isinstance(condition, FactRef):
        yield condition.fact
    elif isinstance(condition, All | AnyOf):
        for item in condition.items:
            yield from facts_in(item)
    elif isinstance(condition, Not):
        yield from facts_in(condition.item)


def reads(condition: Condition) -> frozenset[str]:
    """Every context key the condition reads: its fields, and its facts as `fact:` keys."""
    if isinstance(condition, Leaf):
        return frozenset((condition.field,))
    if isinstance(condition, FactRef):
        return frozenset((FACT_PREFIX + condition.fact,))
    if isinstance(condition, All | AnyOf):
        return frozenset().union(*map(reads, condition.items))
    if isinstance(condition, Not):
        return reads(condition.item)
    return frozenset()


def compile_condition(condition: Condition) -> Check:
    """A closure that evaluates the condition against a context (facts included)."""
    if isinstance(condition, Const):
        constant = condition.value
        return lambda ctx: constant
    if isinstance(condition, FactRef):
        key = FACT_PREFIX + condition.fact
        return lambda ctx: bool(ctx[key])
    if isinstance(condition, Not):
        inner = compile_condition(condition.item)
        return lambda ctx: not inner(ctx)
    if isinstance(condition, All | AnyOf):
        checks = [compile_condition(c) for c in condition.items]
        if not checks:
            empty = isinstance(condition, All)
            return lambda ctx: empty
        # Chained closures (`a and b and c`) instead of all()/any() over a generator:
        # conditions run tens of times per assessment, and this halves their cost.
        combined = checks.pop()
        for check in reversed(checks):
            combined = (_both if isinstance(condition, All) else _either)(check, combined)
        return combined
    return _compile_leaf(condition)


def _both(first: Check, rest: Check) -> Check:
    return lambda ctx: first(ctx) and rest(ctx)


def _either(first: Check, rest: Check) -> Check:
    return lambda ctx: first(ctx) or rest(ctx)


def _compile_leaf(leaf: Leaf) -> Check:
    name, value = leaf.field, leaf.value
    if leaf.op == "stated":
        return lambda ctx: (name in ctx[STATED]) is value
    if leaf.op == "in":
        members = frozenset(value)
        return lambda ctx: ctx[name] in members
    if leaf.op == "not_in":
        members = frozenset(value)
        return lambda ctx: ctx[name] not in members
    compare = _NUMBER_OPS[leaf.op]
    if leaf.op in ("eq", "ne"):
        return lambda ctx: compare(ctx[name], value)

    def ordered(ctx: Context) -> bool:
        current = ctx[name]
        # An unset optional number (no `hardware` section, say) satisfies no bound.
        return current is not None and compare(current, value)

    return ordered


def describe(condition: Condition) -> str:
    """The condition in one readable line, for `explain` and docs."""
    symbols = {
        "eq": "=",
        "ne": "≠",
        "lt": "<",
        "le": "≤",
        "gt": ">",
        "ge": "≥",
        "in": "in",
        "not_in": "not in",
        "stated": "stated",
    }
    if isinstance(condition, Const):
        return "always" if condition.value else "never"
    if isinstance(condition, FactRef):
        return condition.fact
    if isinstance(condition, Not):
        return f"not {describe(condition.item)}"
    if isinstance(condition, All | AnyOf):
        if not condition.items:
            return "always" if isinstance(condition, All) else "never"
        joiner = " and " if isinstance(condition, All) else " or "
        parts = [describe(c) for c in condition.items]
        text = joiner.join(f"({p})" if (" and " in p or " or " in p) else p for p in parts)
        return text
    value = condition.value
    shown = (
        "[" + ", ".join(map(str, value)) + "]"
        if isinstance(value, tuple)
        else str(value).lower()
        if isinstance(value, bool) or value is None
        else str(value)
    )
    return f"{condition.field} {symbols[condition.op]} {shown}"
