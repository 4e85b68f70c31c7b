"""How a key the profile does not state counts in the decision (contract revision 2,
"How unknowns count"), stated once for the engine, the what-ifs and the docs.

"Not stated" is never silently "no". The state of the system (retrieval, a finetuned
model, needs, failure tallies) is something a team knows, so an unstated key means not
in place, and it is not reported. Evaluation and prompting count as not done unless
other stated facts imply them (a measured goal implies criteria and a pipeline; two or
more compared variants with a pipeline imply systematic prompting): these rungs are
cheap to do and to confirm. Readiness is assumed ready: it stays unknown (None) in the
context, and the rules only ever test readiness for a *stated* gap (`eq false`,
`lt N`), so an unknown opens no gap. Whichever way an unknown of the last three groups
was taken, when the next step depends on it, the assessment says so (`assumptions`).
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

Group = Literal["state", "evaluation", "prompting", "readiness"]

STATE: dict[str, Any] = {
    "retrieval": "none",
    "finetuned": False,
    "failures.information": 0,
    "failures.behavior": 0,
    "needs.fresh_information": False,
    "needs.private_knowledge": False,
    "needs.strict_format": False,
    "needs.lower_cost_or_latency": False,
    "needs.multi_step": False,
}
"""State-of-the-system keys and what they count as when not stated."""

STATED = "stated:"
"""Context key of the set of keys the profile states, which `op: stated` reads: for
findings that should speak only about what the team said, not about an unknown."""

SYSTEMATIC_VARIANTS = 2
"""Variants compared on an evaluation pipeline that imply systematic prompting."""


class Reported(NamedTuple):
    """A key whose unknown is reported when the next step depends on it."""

    group: Group
    if_not: Any
    """The value that stands for "the other way" when re-assessing; None: the opposite
    of the value it was taken as."""


REPORTED: dict[str, Reported] = {
    "evaluation.criteria_defined": Reported("evaluation", None),
    "evaluation.pipeline": Reported("evaluation", None),
    "prompting.systematic": Reported("prompting", None),
    "prompting.few_shot_examples": Reported("prompting", 1),
    "prompting.strongest_model_tried": Reported("prompting", None),
    "prompting.decomposed": Reported("prompting", None),
    "resources.training_examples": Reported("readiness", "below-floor"),
    "resources.ml_expertise": Reported("readiness", "none"),
    "resources.can_serve_custom_model": Reported("readiness", False),
    "resources.maintenance_budget": Reported("readiness", False),
}
"""Keys of the evaluation, prompting and readiness groups that rules decide on.
`below-floor` stands for one example fewer than the PEFT floor the rules use."""

ASSUMED_READY: dict[str, Any] = {
    "resources.ml_expertise": "some",
    "resources.can_serve_custom_model": True,
    "resources.maintenance_budget": True,
}
"""What an unknown readiness key is reported as having been taken for (the training
examples are taken as at least the rules' floor)."""


def resolve(raw: dict[str, Any]) -> dict[str, Any]:
    """The context the rules read, from the stated values (None where not stated)."""
    ctx = dict(raw)
    ctx[STATED] = frozenset(k for k, v in raw.items() if v is not None)
    for key, value in STATE.items():
        if ctx[key] is None:
            ctx[key] = value
    measured = raw["goal.current"] is not None and raw["goal.target"] is not None
    for key in ("evaluation.criteria_defined", "evaluation.pipeline"):
        if ctx[key] is None:
            ctx[key] = measured
    for key in ("prompting.variants_tested", "prompting.few_shot_examples"):
        if ctx[key] is None:
            ctx[key] = 0
    for key in ("prompting.strongest_model_tried", "prompting.decomposed"):
        if ctx[key] is None:
            ctx[key] = False
    if ctx["prompting.systematic"] is None:
        ctx["prompting.systematic"] = bool(
            ctx["prompting.variants_tested"] >= SYSTEMATIC_VARIANTS and ctx["evaluation.pipeline"]
        )
    return ctx
