"""Rules as validated data: loading, checking and compiling the YAML under `rules/`.

Every rule file is checked against a schema (for the packaged files, whose parsed
data the bundle serves, the tests do that check once: see `_trusted`), its conditions
are parsed into the fixed operator set and compiled, and references between files
(facts, sources, ladder rungs) are resolved up front. A malformed rule fails here, at
load, naming the file and the offending key; nothing about a rule is interpreted lazily.
"""

# No `from __future__ import annotations` in the modules that define models: pydantic
# would evaluate every string annotation when the class is made, at each start-up.
import functools
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ftadvisor.advice.results import LADDER, OutcomeId, Reason, RungId, Severity
from ftadvisor.bundle import parsed
from ftadvisor.errors import ProfileError, RulesError
from ftadvisor.profile.yaml import key_path
from ftadvisor.rules import conditions as cond

_ID = r"^(fact|rung|outcome|finding)\.[a-z0-9]+(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    # Built on first validation: the packaged rules come from the bundle, already
    # checked (see `_trusted`), so most runs never validate a rule file.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)


class Citation(_Strict):
    text: str = Field(min_length=1)
    source: str
    section: str | None = None


class Example(_Strict):
    name: str = Field(min_length=1)
    profile: dict[str, Any] = Field(default_factory=dict)
    """A profile without `version` and `name`; keys left out take their defaults."""


class Examples(_Strict):
    fires: list[Example] = Field(min_length=1)
    does_not_fire: list[Example] = Field(min_length=1)


class _RuleFile(_Strict):
    id: str = Field(pattern=_ID)
    summary: str = Field(min_length=1, max_length=120)
    rationale: list[Citation] = Field(min_length=1)
    notes: str | None = None
    """Why the thresholds in the condition are what they are."""
    examples: Examples


class FactFile(_RuleFile):
    kind: Literal["fact"]
    fact: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: Any


class RungFile(_RuleFile):
    kind: Literal["rung"]
    step: RungId
    title: str
    label: str = Field(min_length=1, max_length=24)
    """A few words for the ladder picture."""
    applies: Any
    done: Any
    early: Any = None
    """When this holds, the rung is the next step ahead of the pending rungs in
    `ahead_of` (contract rev 2: an early `decompose_task`), the one exception to "the
    earlier rung wins"."""
    ahead_of: list[RungId] = Field(default_factory=list)


class OutcomeFile(_RuleFile):
    kind: Literal["outcome"]
    step: OutcomeId
    title: str
    when: Any


class FindingFile(_RuleFile):
    kind: Literal["finding"]
    severity: Severity
    key: str | None = None
    message: str = Field(min_length=1)
    when: Any


RuleFile = FactFile | RungFile | OutcomeFile | FindingFile
_KINDS: dict[str, type[RuleFile]] = {
    "fact": FactFile,
    "rung": RungFile,
    "outcome": OutcomeFile,
    "finding": FindingFile,
}


class Source(_Strict):
    cite: str
    title: str


@functools.cache
def _file_adapter() -> TypeAdapter[RuleFile]:
    return TypeAdapter(Annotated[RuleFile, Field(discriminator="kind")])


@functools.cache
def _sources_adapter() -> TypeAdapter[dict[str, Source]]:
    return TypeAdapter(dict[str, Source])


def _trusted(data: dict[str, Any]) -> RuleFile:
    """A rule file from the bundle, built without validation.

    The bundle holds the parsed YAML of the packaged files, keyed by their checksums,
    and a test checks that building from it gives exactly what validating the YAML
    gives; so the validators, whose schemas cost about 8 ms to build, are left unbuilt
    at start-up. A rule file the bundle does not know is validated in full.
    """
    examples = data["examples"]
    values = {
        **data,
        "rationale": [Citation.model_construct(**c) for c in data["rationale"]],
        "examples": Examples.model_construct(
            fires=[Example.model_construct(**e) for e in examples["fires"]],
            does_not_fire=[Example.model_construct(**e) for e in examples["does_not_fire"]],
        ),
    }
    return _KINDS[data["kind"]].model_construct(**values)


# ---- compiled rules -------------------------------------------------------------------


class Rule(NamedTuple):
    """A loaded rule: the file's data plus its compiled conditions."""

    spec: RuleFile
    path: Path
    reasons: tuple[Reason, ...]
    conditions: dict[str, cond.Condition]
    checks: dict[str, cond.Check]

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class RuleSet:
    """Validated, compiled rule files: what `evaluate` decides with (`load_rules`)."""

    facts: tuple[Rule, ...]
    """In dependency order: each fact only refers to facts before it."""
    rungs: tuple[Rule, ...]
    """In ladder order, one per rung."""
    outcomes: tuple[Rule, ...]
    findings: tuple[Rule, ...]
    sources: dict[str, Source]
    digest: str
    directory: Path

    @functools.cached_property
    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in (*self.facts, *self.rungs, *self.outcomes, *self.findings)}

    @functools.cached_property
    def fact_checks(self) -> tuple[tuple[str, cond.Check], ...]:
        """(context key, check) per fact, in dependency order: the hot loop's view."""
        return tuple(
            (cond.FACT_PREFIX + r.spec.fact, r.checks["when"])
            for r in self.facts
            if isinstance(r.spec, FactFile)
        )

    @functools.cached_property
    def fact_reads(self) -> tuple[tuple[str, cond.Check, frozenset[str]], ...]:
        """`fact_checks` with the context keys each fact reads, for re-deciding a
        variant of a profile by recomputing only the facts an edit can reach."""
        return tuple(
            (key, check, cond.reads(rule.conditions["when"]))
            for (key, check), rule in zip(self.fact_checks, self.facts, strict=True)
        )

    @functools.cached_property
    def decision_facts(self) -> tuple[Rule, ...]:
        """Facts the choice of step depends on (via rungs and outcomes), in order."""
        needed: set[str] = set()
        pending = [
            name
            for rule in (*self.rungs, *self.outcomes)
            for condition in rule.conditions.values()
            for name in cond.facts_in(condition)
        ]
        while pending:
            name = pending.pop()
            if name not in needed:
                needed.add(name)
                pending.extend(cond.facts_in(self.by_fact[name].conditions["when"]))
        return tuple(
            r for r in self.facts if isinstance(r.spec, FactFile) and r.spec.fact in needed
        )

    @functools.cached_property
    def rung_checks(self) -> tuple[tuple[cond.Check, cond.Check], ...]:
        return tuple((r.checks["applies"], r.checks["done"]) for r in self.rungs)

    @functools.cached_property
    def early_rungs(self) -> tuple[tuple[int, cond.Check, frozenset[int]], ...]:
        """(rung index, its `early` check, indices of the rungs it goes ahead of)."""
        found = []
        for i, rule in enumerate(self.rungs):
            spec = rule.spec
            if isinstance(spec, RungFile) and spec.early is not None:
                ahead = frozenset(LADDER.index(r) for r in spec.ahead_of)
                found.append((i, rule.checks["early"], ahead))
        return tuple(found)

    @functools.cached_property
    def by_fact(self) -> dict[str, Rule]:
        return {r.spec.fact: r for r in self.facts if isinstance(r.spec, FactFile)}


REQUIRED_FACTS = ("information_present", "behavior_present")
"""The failure mode is defined from these two facts (contract: 'a mode is present')."""


RULES_DIRECTORY = Path(__file__).resolve().parent / "data"
"""The packaged rule files. In a checkout this is a link to the top-level `rules/`, which
the wheel build follows, so an installed package and a source tree look in one place."""


def rules_directory() -> Path:
    if not (RULES_DIRECTORY / "sources.yaml").is_file():
        raise RulesError(f"ftadvisor's rules are missing: looked in {RULES_DIRECTORY}")
    return RULES_DIRECTORY


@functools.cache
def packaged_rules() -> RuleSet:
    """The shipped rules, loaded and compiled once per process."""
    return load_rules(rules_directory())


def load_rules(directory: str | os.PathLike[str]) -> RuleSet:
    """Load every `*.yaml` under `directory` (plus `sources.yaml`) into a checked rule set.

    For tools with rules of their own: a copy of the top-level `rules/` changed to suit.
    Any problem is a `RulesError` naming the file, and the rule and key where it can.
    """
    directory = Path(directory)
    digest = _Digest()
    sources_path = directory / "sources.yaml"
    sources: dict[str, Source] = {}
    if sources_path.is_file():
        data, trusted = _read(sources_path, digest)
        sources = (
            {key: Source.model_construct(**value) for key, value in data.items()}
            if trusted
            else _sources_adapter().validate_python(data, strict=True)
        )
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.rglob("*.yaml")):
        if path == sources_path:
            continue
        rule = _load_rule(path, *_read(path, digest), sources)
        if rule.id in seen:
            raise RulesError(f"{path}: rule id {rule.id!r} is also used by {seen[rule.id]}")
        seen[rule.id] = path
        rules.append(rule)
    return _assemble(rules, sources, directory, digest.hexdigest())


class _Digest:
    """CRC-32 over the rule files: a version stamp, not a security measure, and zlib is
    already loaded where hashlib would cost a few milliseconds of start-up."""

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def hexdigest(self) -> str:
        return f"{self.value:08x}"


def _read(path: Path, digest: _Digest) -> tuple[Any, bool]:
    """The file's data, and whether it comes from the bundle (and so is known valid)."""
    raw = path.read_bytes()
    digest.update(path.name.encode() + b"\0" + raw)
    try:
        return parsed(raw, str(path))
    except ProfileError as exc:
        raise RulesError(str(exc)) from None


def _load_rule(path: Path, data: Any, trusted: bool, sources: dict[str, Source]) -> Rule:
    label = f"{path}: rule {data.get('id', '?')!r}" if isinstance(data, dict) else str(path)
    try:
        spec = _trusted(data) if trusted else _file_adapter().validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{key_path(tuple(e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise RulesError(f"{label}: {problems}") from None
    if path.stem != spec.id:
        raise RulesError(f"{label}: the file must be named {spec.id}.yaml")
    reasons = []
    for i, citation in enumerate(spec.rationale):
        source = sources.get(citation.source)
        if source is None:
            raise RulesError(
                f"{label}: rationale[{i}].source: unknown source "
                f"{citation.source!r}; known: {', '.join(sorted(sources))}"
            )
        cite = f"{source.cite}, {citation.section}" if citation.section else source.cite
        reasons.append(Reason(text=" ".join(citation.text.split()), source=cite))
    if isinstance(spec, FindingFile) and spec.key is not None:
        top = spec.key.split(".")[0]
        if (
            spec.key not in cond.FIELDS
            and not any(f.startswith(spec.key + ".") for f in cond.FIELDS)
            and top not in ("goal", "hardware", "model")
        ):
            raise RulesError(f"{label}: key: {spec.key!r} is not a profile key")
    names: tuple[str, ...] = ("when",)
    if isinstance(spec, RungFile):
        names = ("applies", "done") if spec.early is None else ("applies", "done", "early")
        if (spec.early is None) != (not spec.ahead_of):
            raise RulesError(f"{label}: early and ahead_of go together")
        later = [r for r in spec.ahead_of if LADDER.index(r) >= LADDER.index(spec.step)]
        if later:
            raise RulesError(
                f"{label}: ahead_of: {', '.join(later)} do not come before {spec.step}"
            )
    conditions: dict[str, cond.Condition] = {}
    for name in names:
        try:
            conditions[name] = cond.parse(getattr(spec, name), name)
        except cond.ConditionError as exc:
            raise RulesError(f"{label}: {exc}") from None
    checks = {name: cond.compile_condition(c) for name, c in conditions.items()}
    return Rule(spec, path, tuple(reasons), conditions, checks)


def _assemble(
    rules: list[Rule], sources: dict[str, Source], directory: Path, digest: str
) -> RuleSet:
    facts = [r for r in rules if isinstance(r.spec, FactFile)]
    by_fact: dict[str, Rule] = {}
    for rule in facts:
        assert isinstance(rule.spec, FactFile)
        if rule.spec.fact in by_fact:
            raise RulesError(
                f"{rule.path}: fact {rule.spec.fact!r} is also defined by "
                f"{by_fact[rule.spec.fact].path}"
            )
        by_fact[rule.spec.fact] = rule
    for rule in rules:
        for condition in rule.conditions.values():
            for name in cond.facts_in(condition):
                if name not in by_fact:
                    raise RulesError(
                        f"{rule.path}: rule {rule.id!r} refers to unknown fact {name!r}"
                    )
    for name in REQUIRED_FACTS:
        if name not in by_fact:
            raise RulesError(f"{directory}: no rule defines the required fact {name!r}")

    rungs: dict[str, Rule] = {}
    for rule in rules:
        if isinstance(rule.spec, RungFile):
            if rule.spec.step in rungs:
                raise RulesError(
                    f"{rule.path}: rung {rule.spec.step!r} is also defined by "
                    f"{rungs[rule.spec.step].path}"
                )
            rungs[rule.spec.step] = rule
    missing = [step for step in LADDER if step not in rungs]
    if missing:
        raise RulesError(f"{directory}: no rung rule for {', '.join(missing)}")
    outcomes = [r for r in rules if isinstance(r.spec, OutcomeFile)]
    findings = [r for r in rules if isinstance(r.spec, FindingFile)]
    return RuleSet(
        facts=tuple(_in_dependency_order(by_fact)),
        rungs=tuple(rungs[step] for step in LADDER),
        outcomes=tuple(outcomes),
        findings=tuple(findings),
        sources=sources,
        digest=digest,
        directory=directory,
    )


def _in_dependency_order(by_fact: dict[str, Rule]) -> Iterable[Rule]:
    done: dict[str, Rule] = {}
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " → ".join([*visiting[visiting.index(name) :], name])
            raise RulesError(f"{by_fact[name].path}: facts refer to each other in a cycle: {cycle}")
        visiting.append(name)
        for dep in cond.facts_in(by_fact[name].conditions["when"]):
            visit(dep)
        visiting.pop()
        done[name] = by_fact[name]

    for name in sorted(by_fact):
        visit(name)
    return done.values()
