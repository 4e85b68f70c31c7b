"""What `assess` returns: immutable, typed data that renderers only read."""

# No `from __future__ import annotations` in the modules that define models: pydantic
# would evaluate every string annotation when the class is made, at each start-up.
import functools
import typing
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr

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


class _Frozen(BaseModel):
    # The engine builds these from validated data without validating them again
    # (`build`), so their validators are only built if someone else validates one.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def __reduce__(self) -> tuple[Any, ...]:
        # A batch's worker processes send results whole; rebuilding them the way `build`
        # does costs a fraction of pydantic's own unpickling, and parts made once from
        # the packaged rules (rungs, findings, reasons) travel as a key.
        entry = _SHARED_BY_ID.get(id(self))
        if entry is not None and entry[0] is self:
            return _shared, (entry[1],)
        return _rebuild, (type(self), self.__dict__)


_FrozenT = typing.TypeVar("_FrozenT", bound=_Frozen)
_SHARED_BY_ID: dict[int, tuple[Any, tuple[Any, ...]]] = {}
_SHARED_BY_KEY: dict[tuple[Any, ...], Any] = {}


def share(part: _FrozenT, key: tuple[Any, ...]) -> _FrozenT:
    """Register a result part made once per process from the packaged rules, so that it
    pickles as `key` and unpickles as this process's own copy of the same part."""
    _SHARED_BY_ID[id(part)] = (part, key)
    _SHARED_BY_KEY[key] = part
    return part


def _shared(key: tuple[Any, ...]) -> Any:
    part = _SHARED_BY_KEY.get(key)
    if part is None:
        from ftadvisor.advice.engine import share_packaged_parts

        share_packaged_parts()
        part = _SHARED_BY_KEY[key]
    return part


_M = typing.TypeVar("_M", bound=BaseModel)


def build(cls: type[_M], private: dict[str, Any] | None = None, /, **values: Any) -> _M:
    """An instance from values already known to be valid, without validation.

    What `model_construct` does, minus its per-field bookkeeping, which costs more
    than the whole decision. Only for data the engine derived from validated inputs:
    every field must be given.
    """
    instance = cls.__new__(cls)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", private)
    return instance


def _rebuild(cls: type[_M], values: dict[str, Any]) -> _M:
    return build(cls, None, **values)


def _restore_assessment(values: dict[str, Any], computed: dict[str, Any]) -> "Assessment":
    assessment = build(Assessment, {"_what_if": None, "_plan": None}, **values)
    assessment.__dict__.update(computed)  # where functools.cached_property keeps values
    return assessment


class Reason(_Frozen):
    """One line of rationale and the source it rests on."""

    text: str
    source: str

    def __str__(self) -> str:
        return f"{self.text} [{self.source}]"


class NextStep(_Frozen):
    id: StepId
    title: str
    rule: str
    reasons: tuple[Reason, ...]

    @property
    def rationale(self) -> tuple[str, ...]:
        return tuple(str(r) for r in self.reasons)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.source for r in self.reasons))


class Rung(_Frozen):
    id: RungId
    title: str
    label: str
    status: RungStatus
    rule: str


class Finding(_Frozen):
    rule: str
    severity: Severity
    message: str
    key: str | None
    reasons: tuple[Reason, ...]


class Tally(_Frozen):
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


class Edit(_Frozen):
    key: str
    before: Any
    after: Any


class Change(_Frozen):
    """A small change to the profile that would make the advice different."""

    next_step: StepId
    edits: tuple[Edit, ...]
    fact: str | None = None
    """The fact whose truth the change flips, when there is one (for wording)."""


class Intent(_Frozen):
    """The step the profile says the team plans next, judged against the advice."""

    id: StepId
    premature: bool
    message: str


class PlanItem(_Frozen):
    topic: str
    text: str
    source: str


class Plan(_Frozen):
    """How to finetune, when finetuning is the next step (or the one being prepared)."""

    method: str
    memory: dict[str, Any] | None
    lora: dict[str, Any]
    hyperparameters: dict[str, Any]
    path: Literal["progression", "distillation"]
    frameworks: tuple[str, ...]
    assumptions: tuple[str, ...]
    items: tuple[PlanItem, ...]


class Versions(_Frozen):
    ftadvisor: str
    contract: int
    rules: str


class Assessment(_Frozen):
    """The advice for one profile. Renderers format it; nothing here prints."""

    name: str
    next_step: NextStep
    failure_mode: FailureMode
    failures: Tally
    roadmap: tuple[Rung, ...]
    findings: tuple[Finding, ...]
    intent: Intent | None = None
    versions: Versions
    _what_if: Callable[[], tuple[Change, ...]] | None = PrivateAttr(default=None)
    _plan: Callable[[], Plan] | None = PrivateAttr(default=None)

    @functools.cached_property
    def plan(self) -> Plan | None:
        """The finetuning plan, when the next step is `finetune` or `prepare_finetune`."""
        return self._plan() if self._plan is not None else None

    @functools.cached_property
    def changes(self) -> tuple[Change, ...]:
        """The smallest forward moves that would change the advice.

        Computed on first access: finding them re-runs the decision a dozen times,
        which callers that only want the step should not pay for.
        """
        return self._what_if() if self._what_if is not None else ()

    def __reduce__(self) -> tuple[Any, ...]:
        # The lazy parts travel as values: the callables that compute them do not pickle.
        values = {f: self.__dict__[f] for f in type(self).model_fields}
        return _restore_assessment, (values, {"changes": self.changes, "plan": self.plan})

    def __eq__(self, other: object) -> bool:
        # Field by field: the private what-if callable is how, not what.
        if not isinstance(other, Assessment):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in type(self).model_fields)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, f) for f in type(self).model_fields))

    def rung(self, rung_id: RungId) -> Rung:
        return next(r for r in self.roadmap if r.id == rung_id)
