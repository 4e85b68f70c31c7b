"""The project profile, contract version 1.

Strict on purpose: a profile is committed and read by CI, so a typo or a YAML
surprise (`retrieval: no` turning into `False`) must fail loudly instead of
silently changing the advice.
"""

# No `from __future__ import annotations` in the modules that define models: pydantic
# would evaluate every string annotation when the class is made, at each start-up.
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ftadvisor.advice.results import StepId
from ftadvisor.choices import Attention, Optimizer, Sharding, WeightPrecision

CONTRACT_VERSION = 1

Retrieval = Literal["none", "term", "embedding", "hybrid"]
Expertise = Literal["none", "some", "strong"]

RETRIEVAL_ORDER: tuple[Retrieval, ...] = ("none", "term", "embedding", "hybrid")
EXPERTISE_ORDER: tuple[Expertise, ...] = ("none", "some", "strong")


def _no_bool(value: Any) -> Any:
    # Python's bool is an int; in a profile `true` is never a count or a number.
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


MAX_COUNT = 10**12
"""Counts above a trillion are typos (or attacks), not tallies."""
MAX_SIZE = 10**9
"""Dimensions, lengths and GPU counts above a billion describe no model or machine."""

Count = Annotated[int, Field(ge=0, le=MAX_COUNT), BeforeValidator(_no_bool)]
PositiveCount = Annotated[int, Field(ge=1, le=MAX_SIZE), BeforeValidator(_no_bool)]
Number = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_no_bool)]


def goal_met(current: float, target: float, higher_is_better: bool) -> bool:
    return current >= target if higher_is_better else current <= target


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Goal(_Section):
    """A measured goal (`current` and `target`) or a judgement (`met`), never both."""

    metric: str | None = Field(None, min_length=1, description="Name of the metric the goal is on")
    current: Number | None = Field(None, description="Where the metric stands today")
    target: Number | None = Field(None, description="The value that would be good enough")
    higher_is_better: bool | None = Field(
        None,
        description=(
            "False for error rates, latency or cost, where lower is better; not stated: "
            "higher is better"
        ),
    )
    met: bool | None = Field(
        None,
        description=(
            "Instead of current and target: quality is good enough, a judgement (e.g. from "
            "production review). Added in contract revision 2"
        ),
    )

    @model_validator(mode="after")
    def _one_form(self) -> "Goal":
        measured = (self.current is not None, self.target is not None)
        if self.met is not None and any(measured):
            raise ValueError("give current and target, or met alone, not both")
        if measured[0] != measured[1]:
            missing = "target" if measured[0] else "current"
            raise ValueError(f"current and target go together: {missing} is missing")
        if self.met is None and not any(measured):
            raise ValueError("a goal needs current and target, or met")
        return self

    @property
    def measured(self) -> bool:
        return self.current is not None and self.target is not None

    @property
    def reached(self) -> bool:
        """Whether the goal is met: judged so, or `current` reaches `target`."""
        if self.current is not None and self.target is not None:
            return goal_met(self.current, self.target, self.higher_is_better is not False)
        return bool(self.met)


# Every key below may be absent or null: "not stated" (contract revision 2). What an
# unknown counts as is the decision's to say (ftadvisor.advice.unknowns), not the model's.


class Evaluation(_Section):
    criteria_defined: bool | None = Field(None, description="You know what a good output is")
    pipeline: bool | None = Field(None, description="You can score a change systematically")


class Prompting(_Section):
    systematic: bool | None = Field(
        None,
        description="Clear instructions, versioned prompts, variants compared on the eval set",
    )
    variants_tested: Count | None = Field(
        None, description="Prompt variants compared on the eval set"
    )
    few_shot_examples: Count | None = Field(None, description="Most examples tried in one prompt")
    strongest_model_tried: bool | None = Field(
        None, description="The best affordable model was tried with the best prompt"
    )
    decomposed: bool | None = Field(
        None,
        description=(
            "The task already runs as a chain of prompts or agents, one sub-task each. "
            "Added in contract revision 2"
        ),
    )


class Failures(_Section):
    information: Count | None = Field(
        None,
        description=(
            "Reviewed failures where the fact needed was missing, wrong or outdated in "
            "everything the model had (its training and the context it was given)"
        ),
    )
    behavior: Count | None = Field(
        None,
        description=(
            "Reviewed failures where the model had what it needed (the fact was in the "
            "context) but the output failed on format, style, relevance, safety or "
            "faithfulness to the context"
        ),
    )

    @property
    def total(self) -> int:
        return (self.information or 0) + (self.behavior or 0)


class Needs(_Section):
    fresh_information: bool | None = Field(
        None, description="Answers depend on facts that change (news, prices, stock)"
    )
    private_knowledge: bool | None = Field(
        None, description="Answers depend on the organisation's own data"
    )
    strict_format: bool | None = Field(
        None,
        description="Output must follow a rare or strict syntax (custom schema, SQL dialect, DSL)",
    )
    lower_cost_or_latency: bool | None = Field(
        None, description="A smaller, cheaper or faster model should do the job"
    )
    multi_step: bool | None = Field(
        None,
        description=(
            "One prompt does several sub-tasks in a row (find the tables, then write the "
            "query, then check it). Added in contract revision 2"
        ),
    )


class Resources(_Section):
    training_examples: Count | None = Field(
        None, description="High-quality (input, output) pairs available"
    )
    ml_expertise: Expertise | None = Field(
        None, description="Experience training and evaluating models"
    )
    can_serve_custom_model: bool | None = Field(
        None, description="You can self-host, or use a provider that serves finetuned models"
    )
    maintenance_budget: bool | None = Field(
        None, description="An owner and budget to re-evaluate and retrain"
    )


class Hardware(_Section):
    gpu_memory_gb: Number | None = Field(
        None,
        gt=0,
        le=1_000_000,
        description="Memory of one GPU as on its spec sheet (24 GB cards hold 24 GiB)",
    )
    gpu_count: PositiveCount = Field(1, description="Number of GPUs")


class Model(_Section):
    preset: str | None = Field(
        None,
        min_length=1,
        description=(
            "The base model to finetune: a preset alias or Hugging Face repo id "
            "(`ftadvisor memory --list`). Added in ftadvisor 0.1.0."
        ),
    )
    params_billion: Number | None = Field(
        None, gt=0, le=1_000_000, description="Parameters, in billions"
    )
    precision: WeightPrecision = Field("bf16", description="Numeric format of the weights")
    hidden_size: PositiveCount | None = Field(
        None, description="Custom architecture, as in a Hugging Face config (added in 0.1.0)"
    )
    num_hidden_layers: PositiveCount | None = Field(None, description="Custom architecture")
    intermediate_size: PositiveCount | None = Field(None, description="Custom architecture")
    num_attention_heads: PositiveCount | None = Field(None, description="Custom architecture")
    num_key_value_heads: PositiveCount | None = Field(
        None, description="Custom architecture; defaults to num_attention_heads"
    )
    vocab_size: PositiveCount | None = Field(None, description="Custom architecture")
    tie_word_embeddings: bool = Field(False, description="Custom architecture")

    @model_validator(mode="after")
    def _whole_architecture(self) -> "Model":
        dims = {name: getattr(self, name) for name in CUSTOM_DIMENSIONS}
        given = [name for name, value in dims.items() if value is not None]
        if given and len(given) < len(dims):
            missing = ", ".join(name for name in dims if name not in given)
            raise ValueError(f"a custom architecture also needs {missing}")
        if given and self.preset:
            raise ValueError("give either preset or a custom architecture, not both")
        return self

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str | None) -> str | None:
        if value is not None:
            from ftadvisor.errors import UserError
            from ftadvisor.plan.models import named

            try:
                named(value)
            except UserError as exc:
                raise ValueError(exc.message) from None
        return value


CUSTOM_DIMENSIONS = (
    "hidden_size",
    "num_hidden_layers",
    "intermediate_size",
    "num_attention_heads",
    "vocab_size",
)


class Training(_Section):
    """What the finetuning plan assumes; every value here can be changed. Added in 0.1.0."""

    seq_len: PositiveCount = Field(1024, description="Training sequence length, in tokens")
    batch_size: PositiveCount = Field(
        8, description="Effective batch size (micro-batch × gradient accumulation)"
    )
    optimizer: Optimizer = Field("adamw", description="Optimizer")
    attention: Attention = Field(
        "sdpa", description="Attention implementation (fused kernels store no score matrix)"
    )
    gradient_checkpointing: bool = Field(True, description="Recompute activations in backward")
    lora_rank: PositiveCount = Field(16, description="LoRA rank")
    sharding: Sharding | None = Field(
        None,
        description=(
            "How training state is split over hardware.gpu_count GPUs: none, zero1, zero2, "
            "zero3 or fsdp (default: zero2 on several GPUs, and fsdp where nothing less fits)"
        ),
    )
    tasks: PositiveCount = Field(
        1, description="Distinct tasks the finetuned model must serve (for the multi-task route)"
    )


def field_type(annotation: Any) -> tuple[Any, bool]:
    """The type behind a field annotation, and whether the field may be left out (None)."""
    optional = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional, annotation = True, members[0]
    if typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, optional


def section_model(annotation: Any) -> type[BaseModel] | None:
    """The section model a field holds (`goal` → Goal), or None for a plain value."""
    base, _ = field_type(annotation)
    return base if isinstance(base, type) and issubclass(base, BaseModel) else None


_SECTIONS = (
    "goal",
    "evaluation",
    "prompting",
    "failures",
    "needs",
    "resources",
    "hardware",
    "model",
)


class Profile(_Section):
    """Where an LLM application stands: the input to `assess`."""

    version: Literal[1] = Field(description="Profile contract version")
    name: str = Field(min_length=1, description="Project name")
    task: str | None = Field(None, description="What the application does, in a sentence")
    goal: Goal | None = None
    evaluation: Evaluation = Evaluation()
    prompting: Prompting = Prompting()
    retrieval: Retrieval | None = Field(
        None, description="The most advanced retrieval already in place"
    )
    finetuned: bool | None = Field(None, description="A finetuned model is already in use")
    failures: Failures = Failures()
    needs: Needs = Needs()
    resources: Resources = Resources()
    hardware: Hardware | None = None
    model: Model | None = None
    training: Training = Training()
    intent: StepId | None = Field(
        None,
        description=(
            "The step the team plans to take next (a next-step id); `--fail-on premature` "
            "fails when it comes before its time. Added in ftadvisor 0.1.0."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_sections_take_defaults(cls, data: Any) -> Any:
        # An empty section states nothing; an empty `goal:` is no goal at all.
        if isinstance(data, dict) and any(data.get(s, 0) is None for s in _SECTIONS):
            data = {k: ({} if k in _SECTIONS and v is None else v) for k, v in data.items()}
        goal = data.get("goal") if isinstance(data, dict) else None
        if isinstance(goal, dict) and all(v is None for v in goal.values()):
            data = {k: v for k, v in data.items() if k != "goal"}
        return data

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_an_integer(cls, value: Any) -> Any:
        if type(value) is not int or value != CONTRACT_VERSION:
            raise ValueError(
                f"unsupported profile version {value!r}; this ftadvisor reads version "
                f"{CONTRACT_VERSION}"
            )
        return value
