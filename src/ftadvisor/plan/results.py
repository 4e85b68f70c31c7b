"""What a finetuning plan says, as typed values that the renderers read by attribute.

Kept apart from the planner so that the advice results can name `Plan` without loading
the memory model: only an assessment whose next step is finetuning ever builds one.
"""

import dataclasses
from typing import Literal

from ftadvisor.choices import Method, Target

Path = Literal["progression", "distillation"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PlanItem:
    """One piece of advice in the plan, with the source it comes from."""

    topic: str
    text: str
    source: str
    detail: bool = False
    """General advice that holds for any run of this method (shown with --details);
    the rest is specific to this profile and always shown."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MemoryFit:
    """The estimated memory of the chosen method, and whether it fits the hardware."""

    model: str
    micro_batch: int
    params: int
    trainable_params: int
    total_gb: float
    breakdown: dict[str, float]
    """GB per term (weights, gradients, optimizer, activations, ...)."""
    gpu_memory_gb: float | None
    gpus: int
    fits: bool | None
    """None when the profile does not state the GPU memory."""
    headroom_gb: float | None
    sharding: str = "none"
    """What is split over the GPUs (choices.SHARDINGS)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LoraSettings:
    targets: tuple[Target, ...]
    rank: int
    alpha: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Hyperparameters:
    learning_rate: float
    micro_batch: int
    gradient_accumulation: int
    effective_batch: int
    epochs: int
    epochs_range: str
    prompt_loss_weight: float


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """How to finetune, when finetuning is the next step (or the one being prepared)."""

    method: Method
    memory: MemoryFit | None
    """None when the profile names no model to size."""
    lora: LoraSettings
    hyperparameters: Hyperparameters
    path: Path
    frameworks: tuple[str, ...]
    assumptions: tuple[str, ...]
    items: tuple[PlanItem, ...]


METHOD_NAMES = {
    "lora": "LoRA",
    "qlora": "QLoRA",
    "full": "Full finetuning",
    "partial": "Partial finetuning",
    "prompt-tuning": "Prompt tuning",
    "inference": "Inference",
}
"""How reports write a method."""


def sci(value: float) -> str:
    """2e-4 rather than 0.0002 or 2e-04: how the plan and its reports write a rate."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"
