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


# ---- contract rev 2: assumptions --------------------------------------------------------

ASSUMABLE = (
    "evaluation.criteria_defined",
    "evaluation.pipeline",
    "prompting.systematic",
    "prompting.few_shot_examples",
    "prompting.strongest_model_tried",
    "prompting.decomposed",
    "resources.training_examples",
    "resources.ml_expertise",
    "resources.can_serve_custom_model",
    "resources.maintenance_budget",
)
"""Keys of the evaluation, prompting and readiness groups that the rules decide on."""


def _other_way(key: str, assumed: object) -> object:
    """The contract's "the other way" for a value an unknown was taken as."""
    if key == "resources.ml_expertise":
        return "none"
    if key == "resources.training_examples":
        assert isinstance(assumed, int)
        return assumed - 1  # assumed: the floor; the other way: one short of it
    if key == "prompting.few_shot_examples":
        return 1
    assert isinstance(assumed, bool), (key, assumed)
    return not assumed


def _stated(data: dict, key: str, value: object) -> dict:
    section, _, leaf = key.partition(".")
    return {**data, section: {**data.get(section, {}), leaf: value}}


def _is_stated(data: dict, key: str) -> bool:
    section, _, leaf = key.partition(".")
    return data.get(section, {}).get(leaf) is not None


@settings(max_examples=300, deadline=None)
@given(profile_data)
def test_assumptions_are_unstated_keys_whose_other_way_changes_the_step(data: dict) -> None:
    profile = Profile.model_validate(data)
    result = assess(profile)
    out = io.StringIO()
    renderer("json")(
        [Report(name="p.yaml", assessment=result)], out, batch=False, rules=packaged_rules()
    )
    listed = {a["key"]: a for a in json.loads(out.getvalue())["assumptions"]}
    assert set(listed) == {a.key for a in result.assumptions}
    for key, assumption in listed.items():
        assert not _is_stated(data, key), f"{key} is stated, so it is not an assumption"
        assert assumption["if_not"] != result.next_step.id
        flipped = Profile.model_validate(_stated(data, key, _other_way(key, assumption["assumed"])))
        assert assess(flipped).next_step.id == assumption["if_not"], key
        warned = [f for f in result.findings if f.key == key and f.severity == "warning"]
        assert warned, f"no warning finding on {key}"
    # Complete: an unstated key whose other way would change the step is listed. The
    # value it was taken as is the one the flip starts from: found by stating it.
    for key in ASSUMABLE:
        if _is_stated(data, key) or key in listed:
            continue
        taken = cond.context(profile)[key]
        if key.startswith("resources."):
            taken = {"resources.ml_expertise": "some", "resources.training_examples": 100}.get(
                key, True
            )
        other = Profile.model_validate(_stated(data, key, _other_way(key, taken)))
        assert assess(other).next_step.id == result.next_step.id, f"{key} should be listed"


def test_a_stated_false_is_not_an_assumption() -> None:
    base = {
        "version": 1,
        "name": "x",
        "evaluation": {"criteria_defined": True, "pipeline": True},
        "prompting": {"systematic": True, "few_shot_examples": 10, "strongest_model_tried": True},
        "failures": {"information": 1, "behavior": 11},
        "resources": {
            "training_examples": 1500,
            "ml_expertise": "some",
            "can_serve_custom_model": True,
        },
    }
    unstated = assess(Profile.model_validate(base))
    assert unstated.next_step.id == "finetune"
    (assumption,) = unstated.assumptions
    assert (assumption.key, assumption.assumed, assumption.if_not) == (
        "resources.maintenance_budget",
        True,
        "prepare_finetune",
    )
    stated = assess(Profile.model_validate(_stated(base, "resources.maintenance_budget", False)))
    assert stated.next_step.id == "prepare_finetune" and not stated.assumptions
