"""What `assess` returns: immutable, typed data that renderers only read.

Plain frozen dataclasses: they compare, hash and pickle as ordinary Python values, and
building one costs a fraction of validating a model (every value here is derived from
a validated profile and validated rules).
"""

import dataclasses
import functools
import typing
from collections.abc import Callable
from typing import Any, Literal

from ftadvisor.plan.results import Plan

RungId = Literal[
    "define_evaluation",
    "improve_prompting",
    "add_examples",
    "rag_term",
    "rag_advanced",
    "try_stronger_model",
    "prepare_finetune",
    "finetune",
    "decompose_task",
]
OutcomeId = Literal["review_failures", "no_change"]
StepId = RungId | OutcomeId

LADDER: tuple[RungId, ...] = typing.get_args(RungId)
"""The nine rungs in ladder order; the earlier rung wins when several apply."""
OUTCOMES: tuple[OutcomeId, ...] = typing.get_args(OutcomeId)

RungStatus = Literal["done", "next", "later", "not_needed"]
Severity = Literal["error", "warning", "info"]
FailureMode = Literal["information", "behavior", "mixed", "none"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """One line of rationale and the source it rests on."""

    text: str
    source: str

    def __str__(self) -> str:
        return f"{self.text} [{self.source}]"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NextStep:
    id: StepId
    title: str
    rule: str
    reasons: tuple[Reason, ...]
    then: "Then | None" = None
    """When the step is an early rung (evaluation, prompting, examples): the first
    substantive step the stated failures point to once it is done."""

    @property
    def rationale(self) -> tuple[str, ...]:
        return tuple(str(r) for r in self.reasons)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.source for r in self.reasons))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Then:
    id: RungId
    title: str
    because: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Rung:
    id: RungId
    title: str
    label: str
    status: RungStatus
    rule: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    key: str | None
    reasons: tuple[Reason, ...]


NOT_STATED = "finding.not-stated"
"""The finding rule raised once per assumption, on the assumption's key."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Assumption:
    """A key the profile does not state that the next step depends on (contract rev 2)."""

    key: str
    assumed: Any
    """The value it was taken as ("How unknowns count")."""
    if_not: StepId
    """The next step were it the other way: found by re-assessing, not guessed."""
    message: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Tally:
    information: int
    behavior: int

    @property
    def total(self) -> int:
        return self.information + self.behavior

    def share(self, mode: Literal["information", "behavior"]) -> float:
        return (
            (self.information if mode == "information" else self.behavior) / self.total
            if self.total
            else 0.0
        )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    key: str
    before: Any
    after: Any


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """A small change to the profile that would make the advice different."""

    next_step: StepId
    edits: tuple[Edit, ...]
    fact: str | None = None
    """The fact whose truth the change flips, when there is one (for wording)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Intent:
    """The step the profile says the team plans next, judged against the advice."""

    id: StepId
    premature: bool
    message: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Versions:
    ftadvisor: str
    contract: int
    rules: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Assessment:
    """The advice for one profile. Renderers format it; nothing here prints.

    `changes` and `plan` are computed on first access: finding the changes re-runs the
    decision a dozen times, which callers that only want the step should not pay for.
    A pickled assessment carries them computed, so that worker processes do that work.
    """

    name: str
    next_step: NextStep
    failure_mode: FailureMode
    failures: Tally
    roadmap: tuple[Rung, ...]
    findings: tuple[Finding, ...]
    assumptions: tuple[Assumption, ...] = ()
    intent: Intent | None = None
    versions: Versions
    what_if: Callable[[], tuple[Change, ...]] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )
    """Computes `changes`; None once they are known."""
    planner: Callable[[], Plan] | None = dataclasses.field(default=None, compare=False, repr=False)
    """Computes `plan`, when there is one to make."""

    @functools.cached_property
    def plan(self) -> Plan | None:
        """The finetuning plan, when the next step is `finetune` or `prepare_finetune`."""
        return self.planner() if self.planner is not None else None

    @functools.cached_property
    def changes(self) -> tuple[Change, ...]:
        """The smallest forward moves that would change the advice."""
        return self.what_if() if self.what_if is not None else ()

    def __getstate__(self) -> dict[str, Any]:
        # The callables hold the rule set and do not pickle; their results do.
        state = dict(self.__dict__)
        state.update(changes=self.changes, plan=self.plan, what_if=None, planner=None)
        return state

    def rung(self, rung_id: RungId) -> Rung:
        return next(r for r in self.roadmap if r.id == rung_id)
