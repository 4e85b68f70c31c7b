"""What the readers of evaluation results yield, and the tally made of it.

A reader yields one `Row` per graded output. Rows of one test case (a tool that runs
each case under several prompts writes one row per prompt) share a `case` key and are
merged: a case failed a check if any of its rows did, and is left out only if every row
of it errored. A case that failed checks of both kinds counts as information — retrieval
is tried first when both are present (the contract's rung rules).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ftadvisor.inputs.base import ProfileData
from ftadvisor.inputs.evals.classes import Classes, Kind, key
from ftadvisor.profile.yaml import Document


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """What a reader may need besides the file: `thresholds` by metric for scores
    (Ragas), the provider to keep and the eval to read (promptfoo), the label column
    of a sheet."""

    label_column: str | None = None
    thresholds: dict[str, float] = dataclasses.field(default_factory=dict)
    provider: str | None = None
    eval_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """One graded output: the checks it failed, or `errored` when it was never graded
    (a provider or grader error: neither a pass nor a failure)."""

    case: tuple[str, ...]
    failed: frozenset[str] = frozenset()
    errored: bool = False
    types: tuple[tuple[str, str], ...] = ()
    """(name, type) for a failed check named apart from its type."""


@dataclasses.dataclass(slots=True)
class _Case:
    failed: set[str]
    errored: bool


@dataclasses.dataclass(slots=True)
class Read:
    """One input, read: its cases by key, before any check is classed."""

    path: str
    format: str
    cases: dict[tuple[str, ...], _Case] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    types: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    """The check types behind a custom metric name (promptfoo's `metric`): they class
    the check when the map leaves the name open and they all agree on a kind."""

    def classes(self, classes: Classes) -> Classes:
        learnt: dict[str, Kind] = {}
        for name, types in self.types.items():
            kinds = {classes.kind(t) for t in types}
            if classes.kind(name) == "ask" and len(kinds) == 1 and "ask" not in kinds:
                learnt[name] = kinds.pop()
        return Classes({**classes.kinds, **{key(n): k for n, k in learnt.items()}}, classes.passes)

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            for name, kind in row.types:
                self.types.setdefault(name, set()).add(kind)
            case = self.cases.get(row.case)
            if case is None:
                self.cases[row.case] = _Case(set(row.failed), row.errored)
            else:
                case.failed |= row.failed
                case.errored = case.errored and row.errored


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    name: str
    kind: Kind
    failed: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    path: str
    format: str
    tests: int
    failed: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Tally:
    """Failed test cases by kind across the inputs, with what could not be counted:
    `unclassified` failed only checks that can fail either way; `excluded` errored or
    failed only checks that say nothing of the answer (latency, cost)."""

    inputs: tuple[Source, ...]
    information: int
    behavior: int
    unclassified: int
    excluded: int
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        """The `ftadvisor tally --format json` shape."""
        return {
            "inputs": [dataclasses.asdict(s) for s in self.inputs],
            "failures": {"information": self.information, "behavior": self.behavior},
            "unclassified": self.unclassified,
            "excluded": self.excluded,
            "checks": [dataclasses.asdict(c) for c in self.checks],
            "notes": list(self.notes),
        }

    def as_profile_data(self) -> ProfileData:
        data = {"failures": {"information": self.information, "behavior": self.behavior}}
        names = ", ".join(s.path for s in self.inputs)
        return ProfileData(names, Document(data, {}, {}))


_ORDER: dict[Kind, int] = {"information": 0, "behavior": 1, "ask": 2, "ignore": 3}
"""A case's kind is the first of its checks' kinds in this order (both kinds: information)."""


def _case_kind(failed: set[str], classes: Classes) -> Kind | None:
    if not failed:
        return None
    return min((classes.kind(name) for name in failed), key=_ORDER.__getitem__)


def _failed(case: _Case, classes: Classes) -> set[str]:
    return {name for name in case.failed if key(name) not in classes.passes}


def count(reads: Iterable[Read], given: Classes) -> Tally:
    """The tally of `reads` under the `given` classes: cheap, so a caller that learns a class
    (an answer on a terminal) counts again rather than reads again."""
    inputs = []
    by_kind: Counter[str] = Counter()
    per_check: Counter[str] = Counter()
    per_kind: dict[str, Kind] = {}
    notes: list[str] = []
    for read in reads:
        classes = read.classes(given)
        failed = 0
        for case in read.cases.values():
            names = _failed(case, classes)
            kind = "ignore" if case.errored else _case_kind(names, classes)
            if kind is None:
                continue
            by_kind[kind] += 1
            failed += kind != "ignore"
            if not case.errored:
                per_check.update(names)
                per_kind.update({name: classes.kind(name) for name in names})
        inputs.append(
            Source(path=read.path, format=read.format, tests=len(read.cases), failed=failed)
        )
        notes += read.notes
    checks = tuple(
        Check(name=name, kind=per_kind[name], failed=n)
        for name, n in sorted(per_check.items(), key=lambda item: (-item[1], item[0]))
    )
    return Tally(
        inputs=tuple(inputs),
        information=by_kind["information"],
        behavior=by_kind["behavior"],
        unclassified=by_kind["ask"],
        excluded=by_kind["ignore"],
        checks=checks,
        notes=tuple(notes),
    )
