"""Invariants over the whole profile space, and fuzzing of the loader."""

from __future__ import annotations

import io
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftadvisor import Profile, ProfileError, assess
from ftadvisor.advice.decide import decide, step_only
from ftadvisor.profile.dump import dump_profile
from ftadvisor.profile.load import parse_profile
from ftadvisor.render import FORMATS, Report, renderer
from ftadvisor.rules import conditions as cond
from ftadvisor.rules.loader import packaged_rules

from .conftest import EXAMPLES
from .contract import RUNGS, check_contract
from .strategies import profile_data

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=200, deadline=None)
@given(profile_data)
def test_every_format_renders_every_profile(data: dict) -> None:
    profile = Profile.model_validate(data)
    result = assess(profile)
    assert assess(profile) == result
    report = Report(name="ftadvisor.yaml", assessment=result)
    outputs = {}
    for name in FORMATS:
        out = io.StringIO()
        renderer(name)([report], out, batch=False, rules=packaged_rules())
        outputs[name] = out.getvalue()
        assert outputs[name].strip(), name
    check_contract(json.loads(outputs["json"]))
    assert json.loads(outputs["sarif"])["version"] == "2.1.0"
    for change in result.changes:
        assert change.next_step != result.next_step.id


@settings(max_examples=300, deadline=None)
@given(profile_data, profile_data)
def test_recomputing_only_reachable_facts_decides_like_recomputing_all(
    first: dict, second: dict
) -> None:
    # The what-if re-decides variants of a profile recomputing only the facts an edit
    # can reach; any variant, however far, must get the step a full decision gives.
    rules = packaged_rules()
    base = decide(rules, Profile.model_validate(first)).ctx
    variant = cond.context(Profile.model_validate(second))
    changed = {k for k, v in variant.items() if base[k] != v}
    incremental = step_only(rules, {**base, **variant}, changed)
    assert incremental is step_only(rules, dict(variant))


@settings(max_examples=300, deadline=None)
@given(profile_data)
def test_domain_invariants(data: dict) -> None:
    profile = Profile.model_validate(data)
    result = assess(profile)
    step = result.next_step.id
    measured = profile.goal is not None and profile.goal.measured
    evaluation = all(
        measured if v is None else v
        for v in (profile.evaluation.criteria_defined, profile.evaluation.pipeline)
    )
    met = evaluation and profile.goal is not None and profile.goal.reached
    # Without evaluation nothing else can be judged, whatever the rest says.
    assert (step == "define_evaluation") == (not evaluation)
    # A goal met on a working evaluation asks for nothing, unless cost must fall.
    if met:
        assert step in (
            ("finetune", "prepare_finetune")
            if profile.needs.lower_cost_or_latency
            else ("no_change",)
        )
    # Finetuning is never advised for form while fact failures have retrieval to climb.
    if step in ("finetune", "prepare_finetune", "try_stronger_model") and not met:
        assert result.failure_mode == "behavior" or profile.retrieval == "hybrid"
    # The rungs before the next step are all done or not needed; none after it is done
    # unless the profile says so.
    if step in RUNGS:
        position = RUNGS.index(step)
        early = ("try_stronger_model", "prepare_finetune", "finetune")
        assert all(
            r.status in ("done", "not_needed")
            or (step == "decompose_task" and r.id in early and r.status == "later")
            for r in result.roadmap[:position]
        )


@settings(max_examples=150, deadline=None)
@given(profile_data)
def test_closing_a_readiness_gap_never_moves_back_from_finetune(data: dict) -> None:
    profile = Profile.model_validate(data)
    if assess(profile).next_step.id != "finetune":
        return
    richer = profile.model_copy(
        update={
            "resources": profile.resources.model_copy(
                update={
                    "training_examples": (profile.resources.training_examples or 0) + 1000,
                    "ml_expertise": "strong",
                    "can_serve_custom_model": True,
                    "maintenance_budget": True,
                }
            )
        }
    )
    assert assess(richer).next_step.id == "finetune"


@settings(max_examples=200, deadline=None)
@given(profile_data)
def test_dumped_profiles_load_back_identically(data: dict) -> None:
    profile = Profile.model_validate(data)
    text = dump_profile(profile.model_dump(exclude_none=True), "round trip")
    assert parse_profile(text) == profile


# ---- fuzzing the loader: the only outcomes are a profile or our own input error ------------

_YAMLISH = st.text(
    st.sampled_from(list("abcdefghijklmnopqrstuvwxyz0123456789 :-?[]{},&*!|>'\"#%@`\n\t.~")),
    max_size=300,
)
_SEEDS = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.yaml"))]


def _outcome(text: str) -> None:
    try:
        loaded = parse_profile(text, "fuzz.yaml")
    except ProfileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.message and problem.file == "fuzz.yaml"
        return
    assess(loaded)


@FUZZ
@given(_YAMLISH)
def test_fuzz_random_yamlish_text(text: str) -> None:
    _outcome(text)


@FUZZ
@given(st.text(max_size=200))
def test_fuzz_arbitrary_unicode(text: str) -> None:
    _outcome(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True)
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "swap", "replace"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if kind == "delete" and lines:
            del lines[i]
        elif kind == "insert":
            lines.insert(i, draw(_YAMLISH) + "\n")
        elif kind == "duplicate" and lines:
            lines.insert(i, lines[i])
        elif kind == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif lines:
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.sampled_from(list(":-[]{}&*!'\" \t#"))) + line[at + 1 :]
        text = "".join(lines)
    return text


@FUZZ
@given(mutated())
def test_fuzz_mutated_examples(text: str) -> None:
    _outcome(text)


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_fuzz_structured_documents(data: object) -> None:
    _outcome(yaml.safe_dump({"version": 1, "name": "x", "extra": data}))
    _outcome(yaml.safe_dump(data))
