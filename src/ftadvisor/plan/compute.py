"""How long a finetuning run takes and what it costs: FLOPs from the model and the tokens,
GPU hours from a card's peak throughput and a band of achieved utilisation.

- Training FLOPs per token: 2·N for the forward pass and 4·N for the backward pass of
  full finetuning (gradients of the activations and of the weights: Kaplan et al. 2020,
  "C ≈ 6N"); frozen weights need no weight gradient, so LoRA, QLoRA, prompt tuning and
  the frozen part of partial finetuning cost 4·N; gradient checkpointing repeats the
  forward pass, +2·N. N is the active parameters for a mixture of experts.
- That rule leaves out attention's own products (scores and the weighted sum), which
  grow with the sequence: per token and layer 2·s·(query width) + 2·s·(value width)
  forward, twice that backward whether or not the weights are frozen (both operands
  are activations), once more with checkpointing (Hoffmann et al. 2022, Chinchilla,
  appendix F, count them the same way). The FLOPs are given as a band: the low end is
  the parameter rule alone, the high end adds attention over the full sequence (a
  causal kernel that skips the masked half lands between).
- Achieved throughput is `MFU_BAND` of the card's dense 16-bit peak (`gpus.yaml`):
  model-FLOPs utilisation as Chowdhery et al. 2022 (PaLM, section 4) define it, which
  reports 46% for large pretraining runs; finetuning runs with small batches and short
  sequences do worse, hence the low end.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

from ftadvisor.errors import UserError
from ftadvisor.plan.architecture import Architecture

MFU_BAND = (0.25, 0.45)
"""The share of peak throughput a finetuning run achieves, low and high."""


@dataclasses.dataclass(frozen=True, slots=True)
class Gpu:
    name: str
    memory_gb: float
    tflops: float
    source: str


@functools.cache
def gpus() -> dict[str, Gpu]:
    """Every GPU under its name and aliases, lower case."""
    from ftadvisor.bundle import parsed

    path = Path(__file__).with_name("gpus.yaml")
    entries, _ = parsed(path.read_bytes(), str(path))
    table: dict[str, Gpu] = {}
    for entry in entries:
        gpu = Gpu(entry["name"], entry["memory_gb"], entry["tflops"], entry["source"])
        for name in [entry["name"], *entry.get("aliases", [])]:
            table[str(name).lower()] = gpu
    return table


def gpu(name: str) -> Gpu:
    import difflib

    found = gpus().get(name.lower().replace(" ", "-"))
    if found is None:
        close = difflib.get_close_matches(name.lower(), gpus(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        names = sorted({g.name for g in gpus().values()})
        raise UserError(f"unknown GPU type {name!r}{hint} Known: {', '.join(names)}")
    return found


def attention_flops_per_token(arch: Architecture, seq_len: int, checkpointing: bool) -> float:
    """Scores and weighted sum over a full `seq_len` window, forward and backward."""
    value_width = arch.num_attention_heads * (arch.v_head_dim or arch.head_size)
    forward = 2 * seq_len * (arch.q_dim + value_width) * arch.num_hidden_layers
    return forward * (4 if checkpointing else 3)


def flops_per_token(arch: Architecture, method: str, trainable: int, checkpointing: bool) -> float:
    active = arch.active_params
    if method == "full":
        per = 6 * active
    elif method == "partial":
        per = 4 * active + 2 * trainable  # weight gradients for the trained layers only
    else:
        per = 4 * active
    return per + (2 * active if checkpointing else 0)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TrainingTime:
    tokens: int
    """Tokens processed: the data's tokens times the epochs."""
    flops: tuple[float, float]
    """Without and with attention's sequence-length term."""
    gpu: Gpu
    gpus: int
    gpu_hours: tuple[float, float]
    hours: tuple[float, float]
    """Wall-clock hours on `gpus` GPUs, low and high."""
    cost: tuple[float, float] | None
    price_per_gpu_hour: float | None
    tokens_from: str

    def document(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens,
            "tokens_from": self.tokens_from,
            "flops": [float(f"{f:.4g}") for f in self.flops],
            "gpu_type": self.gpu.name,
            "gpu_tflops": self.gpu.tflops,
            "gpu_source": self.gpu.source,
            "mfu": list(MFU_BAND),
            "gpus": self.gpus,
            "gpu_hours": [round(h, 3) for h in self.gpu_hours],
            "hours": [round(h, 3) for h in self.hours],
            "price_per_gpu_hour": self.price_per_gpu_hour,
            "cost": [round(c, 2) for c in self.cost] if self.cost else None,
        }


MAX_TOKENS = 10**15


def training_flops(
    arch: Architecture,
    *,
    method: str,
    trainable: int,
    checkpointing: bool,
    tokens: int,
    seq_len: int,
) -> tuple[float, float]:
    """A run's FLOPs over `tokens`: the parameter rule alone, and with attention."""
    rule = flops_per_token(arch, method, trainable, checkpointing)
    attention = attention_flops_per_token(arch, seq_len, checkpointing)
    return rule * tokens, (rule + attention) * tokens


def training_time(
    arch: Architecture,
    *,
    method: str,
    trainable: int,
    checkpointing: bool,
    tokens: int,
    epochs: float,
    gpu_type: str,
    seq_len: int,
    gpus: int = 1,
    price_per_gpu_hour: float | None = None,
    tokens_from: str = "--tokens",
) -> TrainingTime:
    """The low and high estimate of a run's GPU hours and cost (the module docstring)."""
    if method == "inference":
        raise UserError("training time needs a training method, not inference")
    if not 0 < tokens <= MAX_TOKENS:
        raise UserError(f"--tokens must be from 1 to {MAX_TOKENS:,}")
    if not 0 < epochs <= 1000:
        raise UserError("--epochs must be a positive number, at most 1,000")
    if price_per_gpu_hour is not None and not 0 <= price_per_gpu_hour <= 10_000:
        raise UserError("--price-per-gpu-hour must be a number from 0 to 10,000")
    card = gpu(gpu_type)
    total_tokens = round(tokens * epochs)
    flops = training_flops(
        arch,
        method=method,
        trainable=trainable,
        checkpointing=checkpointing,
        tokens=total_tokens,
        seq_len=seq_len,
    )
    low, high = MFU_BAND
    gpu_hours = (
        flops[0] / (card.tflops * 1e12 * high) / 3600,
        flops[1] / (card.tflops * 1e12 * low) / 3600,
    )
    hours = (gpu_hours[0] / gpus, gpu_hours[1] / gpus)
    cost = (
        (gpu_hours[0] * price_per_gpu_hour, gpu_hours[1] * price_per_gpu_hour)
        if price_per_gpu_hour is not None
        else None
    )
    return TrainingTime(
        tokens=total_tokens,
        flops=flops,
        gpu=card,
        gpus=gpus,
        gpu_hours=gpu_hours,
        hours=hours,
        cost=cost,
        price_per_gpu_hour=price_per_gpu_hour,
        tokens_from=tokens_from,
    )
