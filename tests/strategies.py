"""Hypothesis strategies over the whole profile space."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .contract import STEPS

counts = st.integers(min_value=0, max_value=80)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


def _drop_none(**sections: Any) -> dict[str, Any]:
    return {"version": 1, **{k: v for k, v in sections.items() if v is not None}}


profile_data = st.builds(
    _drop_none,
    name=words,
    task=st.none() | words,
    goal=st.none()
    | st.fixed_dictionaries(
        {"current": st.floats(-10, 10), "target": st.floats(-10, 10)},
        optional={"metric": words, "higher_is_better": st.booleans()},
    )
    | st.fixed_dictionaries({"met": st.booleans()}, optional={"metric": words}),
    evaluation=st.fixed_dictionaries(
        {}, optional={"criteria_defined": st.booleans(), "pipeline": st.booleans()}
    ),
    prompting=st.fixed_dictionaries(
        {},
        optional={
            "systematic": st.booleans(),
            "variants_tested": counts,
            "few_shot_examples": counts,
            "strongest_model_tried": st.booleans(),
            "decomposed": st.booleans(),
        },
    ),
    retrieval=st.none() | st.sampled_from(["none", "term", "embedding", "hybrid"]),
    finetuned=st.none() | st.booleans(),
    failures=st.fixed_dictionaries({}, optional={"information": counts, "behavior": counts}),
    needs=st.fixed_dictionaries(
        {},
        optional={
            k: st.booleans()
            for k in (
                "fresh_information",
                "private_knowledge",
                "strict_format",
                "lower_cost_or_latency",
                "multi_step",
            )
        },
    ),
    resources=st.fixed_dictionaries(
        {},
        optional={
            "training_examples": st.integers(0, 10_000),
            "ml_expertise": st.sampled_from(["none", "some", "strong"]),
            "can_serve_custom_model": st.booleans(),
            "maintenance_budget": st.booleans(),
        },
    ),
    hardware=st.none()
    | st.fixed_dictionaries(
        {}, optional={"gpu_memory_gb": st.floats(1, 200), "gpu_count": st.integers(1, 8)}
    ),
    model=st.none()
    | st.fixed_dictionaries(
        {},
        optional={
            "params_billion": st.floats(0.1, 500),
            "precision": st.sampled_from(["fp32", "fp16", "bf16", "int8", "int4"]),
        },
    ),
    intent=st.none() | st.sampled_from(sorted(STEPS)),
)
