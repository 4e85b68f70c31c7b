"""The contract's "How the rungs apply", checked on the engine with the shipped rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from ftadvisor import Assessment, Profile, assess

from .conftest import EVAL, PROMPTED, READY, make_profile
from .strategies import profile_data

FORM = {"information": 1, "behavior": 11}


def statuses(result: Assessment) -> dict[str, str]:
    return {r.id: r.status for r in result.roadmap}


@pytest.mark.parametrize(
    ("information", "behavior", "mode"),
    [
        (0, 0, "none"),
        (1, 3, "mixed"),  # 25% exactly is present
        (1, 4, "behavior"),  # 20% is not
        (3, 1, "mixed"),
        (4, 1, "information"),
        (7, 0, "information"),
        (0, 2, "behavior"),
    ],
)
def test_failure_mode_uses_the_25_percent_share(information: int, behavior: int, mode: str) -> None:
    result = assess(make_profile(failures={"information": information, "behavior": behavior}))
    assert result.failure_mode == mode


def test_evaluation_first_even_when_the_goal_is_reported_met() -> None:
    result = assess(
        make_profile(
            goal={"current": 0.99, "target": 0.9},
            evaluation={"criteria_defined": True, "pipeline": False},
        )
    )
    assert result.next_step.id == "define_evaluation"
    assert any(f.rule == "finding.goal-met-unverified" for f in result.findings)


def test_a_measured_goal_implies_evaluation_unless_stated_otherwise() -> None:
    """Contract rev 2: a metric measured against a target implies criteria and a pipeline."""
    measured = assess(make_profile(goal={"current": 0.99, "target": 0.9}))
    assert measured.next_step.id == "no_change"
    judged = assess(make_profile(goal={"met": True}))
    assert judged.next_step.id == "define_evaluation"
    assert assess(make_profile(evaluation=EVAL, goal={"met": True})).next_step.id == "no_change"


def test_goal_met_means_no_change_whatever_the_later_rungs_say() -> None:
    result = assess(
        make_profile(
            evaluation=EVAL,
            goal={"current": 0.95, "target": 0.9},
            failures=FORM,
            needs={"fresh_information": True},
        )
    )
    assert result.next_step.id == "no_change"
    assert "next" not in statuses(result).values()
    assert "later" not in statuses(result).values()


def test_goal_direction_lower_is_better() -> None:
    base = {"evaluation": EVAL, "prompting": PROMPTED}
    met = assess(
        make_profile(**base, goal={"current": 0.03, "target": 0.05, "higher_is_better": False})
    )
    missed = assess(
        make_profile(**base, goal={"current": 0.07, "target": 0.05, "higher_is_better": False})
    )
    assert met.next_step.id == "no_change"
    assert missed.next_step.id == "review_failures"


@pytest.mark.parametrize(
    ("resources", "step"),
    [(READY, "finetune"), ({**READY, "can_serve_custom_model": False}, "prepare_finetune")],
)
def test_goal_met_with_cost_pressure_takes_the_distillation_path(
    resources: dict[str, Any], step: str
) -> None:
    result = assess(
        make_profile(
            evaluation=EVAL,
            goal={"current": 0.95, "target": 0.9},
            needs={"lower_cost_or_latency": True},
            resources=resources,
        )
    )
    assert result.next_step.id == step
    rungs = statuses(result)
    assert rungs["improve_prompting"] == "not_needed"  # prompting is not what is asked
    if step == "prepare_finetune":
        assert rungs["finetune"] == "later"


def test_rungs_two_and_three_apply_until_done() -> None:
    assert assess(make_profile(evaluation=EVAL)).next_step.id == "improve_prompting"
    assert (
        assess(make_profile(evaluation=EVAL, prompting={"systematic": True})).next_step.id
        == "add_examples"
    )


def test_both_modes_present_means_retrieval_first() -> None:
    result = assess(
        make_profile(
            evaluation=EVAL,
            prompting=PROMPTED,
            resources=READY,
            failures={"information": 5, "behavior": 5},
        )
    )
    assert result.next_step.id == "rag_term"
    assert statuses(result)["finetune"] == "not_needed"
    assert statuses(result)["decompose_task"] == "later"


@pytest.mark.parametrize(
    ("retrieval", "step", "term", "advanced"),
    [
        ("none", "rag_term", "next", "later"),
        ("term", "rag_advanced", "done", "next"),
        ("embedding", "rag_advanced", "done", "next"),
        ("hybrid", "decompose_task", "done", "done"),
    ],
)
def test_retrieval_level_marks_the_fact_rungs(
    retrieval: str, step: str, term: str, advanced: str
) -> None:
    result = assess(
        make_profile(
            evaluation=EVAL,
            prompting=PROMPTED,
            retrieval=retrieval,
            failures={"information": 9, "behavior": 1},
        )
    )
    assert result.next_step.id == step
    assert (statuses(result)["rag_term"], statuses(result)["rag_advanced"]) == (term, advanced)


def test_mixed_failures_move_to_the_form_branch_once_retrieval_is_done() -> None:
    result = assess(
        make_profile(
            evaluation=EVAL,
            prompting=PROMPTED,
            retrieval="hybrid",
            failures={"information": 5, "behavior": 5},
        )
    )
    assert result.next_step.id == "try_stronger_model"


@pytest.mark.parametrize(
    ("gap", "value"),
    [
        ("training_examples", 99),
        ("ml_expertise", "none"),
        ("can_serve_custom_model", False),
        ("maintenance_budget", False),
    ],
)
def test_each_readiness_gate_alone_holds_back_finetuning(gap: str, value: Any) -> None:
    prompting = {**PROMPTED, "strongest_model_tried": True}
    result = assess(
        make_profile(
            evaluation=EVAL, prompting=prompting, failures=FORM, resources={**READY, gap: value}
        )
    )
    assert result.next_step.id == "prepare_finetune"
    assert any(f.key == f"resources.{gap}" and f.severity == "warning" for f in result.findings)


def test_strongest_model_before_training() -> None:
    result = assess(
        make_profile(evaluation=EVAL, prompting=PROMPTED, failures=FORM, resources=READY)
    )
    assert result.next_step.id == "try_stronger_model"
    assert statuses(result)["finetune"] == "later"


def test_finetuned_with_remaining_failures_decomposes() -> None:
    prompting = {**PROMPTED, "strongest_model_tried": True}
    result = assess(
        make_profile(
            evaluation=EVAL, prompting=prompting, failures=FORM, resources=READY, finetuned=True
        )
    )
    assert result.next_step.id == "decompose_task"
    assert statuses(result)["finetune"] == "done"


def test_nothing_tallied_after_prompting_asks_for_a_failure_review() -> None:
    result = assess(make_profile(evaluation=EVAL, prompting=PROMPTED))
    assert result.next_step.id == "review_failures"
    assert result.failure_mode == "none"
    assert "next" not in statuses(result).values()


def test_reasons_name_the_specific_open_gate() -> None:
    prompting = {**PROMPTED, "strongest_model_tried": True}
    result = assess(
        make_profile(
            evaluation=EVAL,
            prompting=prompting,
            failures=FORM,
            resources={**READY, "training_examples": 40},
        )
    )
    text = " ".join(r.text for r in result.next_step.reasons)
    assert "100" in text
    assert all(r.source for r in result.next_step.reasons)


def test_what_would_change_names_the_missing_examples() -> None:
    prompting = {**PROMPTED, "strongest_model_tried": True}
    result = assess(
        make_profile(
            evaluation=EVAL,
            prompting=prompting,
            failures=FORM,
            resources={**READY, "training_examples": 40},
        )
    )
    edits = {(c.next_step, e.key, e.after) for c in result.changes for e in c.edits}
    assert ("finetune", "resources.training_examples", 100) in edits


def test_what_would_change_finds_the_smallest_share_move() -> None:
    result = assess(
        make_profile(evaluation=EVAL, prompting=PROMPTED, failures=FORM, resources=READY)
    )
    retrieval = [c for c in result.changes if c.next_step == "rag_term"]
    assert retrieval
    (edit,) = retrieval[0].edits
    assert (edit.key, edit.before, edit.after) == ("failures.information", 1, 4)  # 4 of 15 ≥ 25%


def _apply(profile: Profile, edits: Any) -> Profile:
    data = profile.model_dump(exclude_none=True)
    for edit in edits:
        section, _, leaf = edit.key.rpartition(".")
        (data.setdefault(section, {}) if section else data)[leaf] = edit.after
    return Profile.model_validate(data)


# ---- properties over the whole profile space ------------------------------------------

profiles = profile_data.map(Profile.model_validate)


@settings(max_examples=300, deadline=None)
@given(profiles)
def test_roadmap_agrees_with_the_next_step(profile: Profile) -> None:
    from ftadvisor.render import Report
    from ftadvisor.render.json import document

    from .contract import check_contract

    result = assess(profile)
    check_contract(document(Report(name=None, assessment=result)))
    assert assess(profile) == result  # deterministic


@settings(max_examples=300, deadline=None)
@given(profiles)
def test_domain_invariants(profile: Profile) -> None:
    result = assess(profile)
    measured = profile.goal is not None and profile.goal.measured
    evaluation = profile.evaluation
    ready = all(
        measured if v is None else v for v in (evaluation.criteria_defined, evaluation.pipeline)
    )
    if not ready:
        assert result.next_step.id == "define_evaluation"
    if result.next_step.id in ("finetune", "prepare_finetune") and not (
        profile.goal and profile.goal.reached and profile.needs.lower_cost_or_latency
    ):
        # Training is never advised while fact failures still have retrieval to climb.
        assert result.failure_mode in ("behavior", "mixed")
        assert result.failure_mode == "behavior" or profile.retrieval == "hybrid"
    if result.next_step.id == "finetune":
        assert result.rung("prepare_finetune").status != "later"


@settings(max_examples=150, deadline=None)
@given(profiles)
def test_every_suggested_change_really_changes_the_advice(profile: Profile) -> None:
    result = assess(profile)
    for change in result.changes:
        assert change.edits
        assert assess(_apply(profile, change.edits)).next_step.id == change.next_step
        assert change.next_step != result.next_step.id


def test_an_early_step_says_what_the_failures_point_to_after_it() -> None:
    facts = assess(make_profile(failures={"information": 9, "behavior": 1}))
    assert facts.next_step.id == "define_evaluation"
    assert facts.next_step.then is not None and facts.next_step.then.id == "rag_term"
    assert "facts" in facts.next_step.then.because
    form = assess(make_profile(evaluation=EVAL, failures=FORM))
    assert form.next_step.id == "improve_prompting"
    assert form.next_step.then is not None and form.next_step.then.id == "try_stronger_model"
    split = assess(make_profile(evaluation=EVAL, failures=FORM, needs={"multi_step": True}))
    assert split.next_step.then is not None and split.next_step.then.id == "decompose_task"
    assert assess(make_profile()).next_step.then is None  # nothing tallied points anywhere
    later = assess(make_profile(evaluation=EVAL, prompting=PROMPTED, failures=FORM))
    assert later.next_step.id == "try_stronger_model" and later.next_step.then is None


def test_the_evaluation_step_cites_error_analysis() -> None:
    reasons = assess(make_profile()).next_step.reasons
    assert any("error analysis" in r.text and "Husain" in r.source for r in reasons)


def test_an_early_decompose_shows_the_training_rungs_as_later() -> None:
    prompting = {**PROMPTED, "strongest_model_tried": False}
    result = assess(
        make_profile(
            evaluation=EVAL,
            prompting=prompting,
            failures=FORM,
            needs={"multi_step": True},
            resources=READY,
        )
    )
    assert result.next_step.id == "decompose_task"
    rungs = statuses(result)
    assert (rungs["try_stronger_model"], rungs["finetune"]) == ("later", "later")
    decomposed = assess(
        make_profile(
            evaluation=EVAL,
            prompting={**prompting, "decomposed": True},
            failures=FORM,
            needs={"multi_step": True},
            resources=READY,
        )
    )
    assert decomposed.next_step.id == "try_stronger_model"


def test_shares_never_round_across_the_presence_threshold() -> None:
    from ftadvisor.render.common import failure_summary, share_text

    assert share_text(0.247) == "24.7%"
    assert share_text(0.2499) == "24.99%"
    assert share_text(0.25) == "25%"
    assert share_text(0.7) == "70%"
    summary = failure_summary(assess(make_profile(failures={"information": 247, "behavior": 753})))
    assert "(24.7%)" in summary
