"""How much GPU memory inference or finetuning needs: a pure, documented model.

The napkin version is Huyen 2025 (AI Engineering ch. 7, "Memory Math"): weights,
plus gradients and optimizer states per trainable parameter, plus activations. This
module makes each term explicit and derives it from the architecture:

- weights: every parameter at the storage precision; QLoRA stores the frozen base in
  4-bit NF4 plus one 32-bit absmax constant per 64 weights (0.5 bit per weight), or
  with double quantization 8-bit constants and a second level, 0.127 bit (Dettmers et
  al. 2023);
- per trainable parameter: a gradient and the optimizer's states (SGD 0, momentum 1,
  Adam/AdamW 2, 8-bit Adam 2 of one byte). Plain `bf16`/`fp16` keeps everything in
  16 bits, the napkin's 8 bytes per Adam-trained parameter. `mixed-*` is what AMP
  training does in practice: fp32 master weights and fp32 optimizer states beside the
  16-bit copy, 16 bytes per parameter (Rajbhandari et al. 2020, ZeRO); the master
  copy is counted under "optimizer";
- activations: per layer, after Korthikanti et al. 2022 (attention 11·s·b·h bytes plus
  5·a·s²·b for the materialised attention scores of eager attention, which fused
  "sdpa"/"flash" kernels do not store), with the feed-forward term from the actual
  intermediate size (gated SwiGLU or plain GPT MLP) and the fp32 logits and their
  gradient for the loss; gradient checkpointing keeps each layer's input and one
  layer's working set;
- overhead: a stated allowance for the CUDA context and the caching allocator.

Bytes are exact; reports show GB = 10^9 bytes. GPU sizes on spec sheets ("24 GB",
"80 GB") are binary, so `fits` compares with GiB = 2^30 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from ftadvisor.choices import (
    INFERENCE_ONLY_PRECISIONS,
    TARGETS,
    AdapterPrecision,
    Attention,
    Device,
    Framework,
    Loss,
    Method,
    Optimizer,
    OptimizerImpl,
    Sharding,
    Target,
    TrainingPrecision,
)
from ftadvisor.errors import UserError
from ftadvisor.plan.architecture import Architecture, lora_params

Precision = TrainingPrecision
GB = 10**9
GIB = 2**30
OVERHEAD_BYTES = 1 * GIB
"""CUDA context (~0.3–0.5 GiB on current GPUs) plus allocator slack, as a flat allowance."""
FRAGMENTATION = 0.05
"""Caching-allocator fragmentation, as a share of everything else."""

_VALUE_BYTES = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}
_STATES = {"adam": 2, "adamw": 2, "adam8bit": 2, "momentum": 1, "sgd": 0}

COMMON_GPUS: tuple[tuple[str, float], ...] = (
    ("16 GB (T4, V100 16 GB)", 16),
    ("24 GB (RTX 3090/4090, A10, L4)", 24),
    ("32 GB (V100 32 GB, RTX 5090)", 32),
    ("40 GB (A100 40 GB)", 40),
    ("48 GB (RTX A6000, L40S)", 48),
    ("80 GB (A100 80 GB, H100)", 80),
    ("141 GB (H200)", 141),
    ("192 GB (B200, MI300X)", 192),
)


class Settings(NamedTuple):
    """What a run does, for the memory estimate: method, precisions, batch and length."""

    method: Method = "lora"
    precision: Precision = "mixed-bf16"
    optimizer: Optimizer = "adamw"
    batch: int = 1
    seq_len: int = 1024
    rank: int = 16
    targets: tuple[str, ...] = ("q", "k", "v", "o")
    gradient_checkpointing: bool = True
    attention: Attention = "sdpa"
    gpus: int = 1
    top_layers: int = 2
    """For `partial`: how many of the top layers are trained."""
    virtual_tokens: int = 20
    """For `prompt-tuning`: soft-prompt length."""
    double_quant: bool = True
    """For `qlora`: quantize the quantization constants too."""
    sharding: Sharding | None = None
    """How state is split over `gpus`; None: ZeRO-2 when there are several (the
    common default of DeepSpeed and Accelerate configs), none on one."""
    loss: Loss = "hf"
    device: Device = "cuda"
    optimizer_impl: OptimizerImpl | None = None
    """None: foreach on CUDA (PyTorch's default there), the for-loop on CPU."""
    adapter_precision: AdapterPrecision = "fp32"
    new_tokens: int = 0
    """For `inference`: tokens generated after the `seq_len`-token prompt; the KV cache
    grows to hold both."""
    framework: Framework = "hf"
    lora_dropout: float = 0.0
    """LoRA's input dropout (PEFT's default is none): with some, each adapter keeps
    its dropout mask as well."""

    @property
    def step_impl(self) -> OptimizerImpl:
        return self.optimizer_impl or ("foreach" if self.device == "cuda" else "forloop")

    @property
    def split(self) -> Sharding:
        if self.gpus == 1:
            return "none"
        return self.sharding or "zero2"


class Estimate(NamedTuple):
    arch: Architecture
    settings: Settings
    params: int
    trainable_params: int
    breakdown: dict[str, float]
    """Bytes per GPU at the peak: weights, gradients, optimizer, activations, overhead
    (the runtime allowance: CUDA context and allocator slack; none on CPU)."""
    assumptions: tuple[str, ...]
    phases: Mapping[str, float] = MappingProxyType({})
    """Tensor bytes of the moments that can be the peak (training: the optimizer step
    and the start of the backward pass)."""

    @property
    def tensor_bytes(self) -> float:
        """What `torch.cuda.max_memory_allocated` measures: the peak without the allowance."""
        return self.total_bytes - self.breakdown.get("overhead", 0.0)

    @property
    def total_bytes(self) -> float:
        return sum(self.breakdown.values())

    @property
    def total_gb(self) -> float:
        return self.total_bytes / GB

    def fits(self, gpu_memory_gb: float) -> bool:
        """Spec-sheet "GB" are GiB: a "24 GB" card holds 24·2^30 bytes."""
        return self.total_bytes <= gpu_memory_gb * GIB

    def headroom_gb(self, gpu_memory_gb: float) -> float:
        return (gpu_memory_gb * GIB - self.total_bytes) / GB


def parse_targets(text: str) -> tuple[Target, ...]:
    """`q,k,v,o` as LoRA targets; anything else is an error that lists the choices."""
    given = [t.strip() for t in text.split(",") if t.strip()]
    known = [t for t in TARGETS if t in given]
    unknown = [t for t in given if t not in TARGETS]
    if unknown or not given:
        raise UserError(
            f"--targets: unknown {', '.join(unknown) or '(none)'}; expected a "
            f"comma-separated subset of {','.join(TARGETS)}"
        )
    return tuple(sorted(known, key=given.index))


MAX_SETTING = 10**9
"""Batches, lengths, ranks and GPU counts above a billion are typos; bounding them keeps
the arithmetic finite."""


def estimate(arch: Architecture, settings: Settings) -> Estimate:
    """Peak GPU memory of `settings` on `arch`, by component (the module docstring
    states each formula); settings no run can have are a `UserError`."""
    s = settings
    for flag, given in (
        ("--batch", s.batch),
        ("--seq-len", s.seq_len),
        ("--rank", s.rank),
        ("--gpus", s.gpus),
        ("--top-layers", s.top_layers),
        ("--virtual-tokens", s.virtual_tokens),
    ):
        if not 1 <= given <= MAX_SETTING:
            raise UserError(f"{flag} must be a whole number from 1 to {MAX_SETTING:,}")
    if not 0 <= s.new_tokens <= MAX_SETTING:
        raise UserError(f"--new-tokens must be a whole number from 0 to {MAX_SETTING:,}")
    if not 0 <= s.lora_dropout < 1:
        raise UserError("--lora-dropout must be a probability from 0 up to (not including) 1")
    if s.new_tokens and s.method != "inference":
        raise UserError("--new-tokens is for --method inference (tokens generated)")
    if s.precision in INFERENCE_ONLY_PRECISIONS and s.method != "inference":
        raise UserError(f"--precision {s.precision} is for inference; train with qlora instead")
    compute = (
        "fp32" if s.precision == "fp32" else "fp16" if s.precision.endswith("fp16") else "bf16"
    )
    mixed = s.precision.startswith("mixed")
    value = _VALUE_BYTES[compute]
    params = arch.params
    notes = [
        f"batch {s.batch} per GPU, sequence length {s.seq_len}",
        f"{s.attention} attention"
        + (" (scores materialised)" if s.attention == "eager" else " (scores not stored)"),
    ]

    if s.method == "inference":
        weight_bytes = params * _VALUE_BYTES.get(s.precision, value)
        cached = s.seq_len + s.new_tokens
        kv = 2 * arch.num_hidden_layers * arch.kv_dim * cached * s.batch * value
        working = _layer_activations(arch, s, value, inference=True)
        logits = s.batch * arch.vocab_size * 4
        if s.gpus > 1:  # tensor parallel: each GPU holds a slice of every layer
            weight_bytes /= s.gpus
            kv /= s.gpus
            notes.append(f"weights and KV cache split over {s.gpus} GPUs (tensor parallel)")
        breakdown = {
            "weights": weight_bytes,
            "gradients": 0.0,
            "optimizer": 0.0,
            "activations": kv + working + logits,
        }
        notes.insert(
            0,
            (
                f"KV cache for the {s.seq_len:,}-token prompt and {s.new_tokens:,} new tokens"
                if s.new_tokens
                else f"KV cache for the {s.seq_len:,}-token sequence"
            )
            + f" ({kv / GB:.2f} GB); prefill working set of one layer; last-token logits;"
            f" weights in "
            f"{s.precision if s.precision in _VALUE_BYTES else compute}",
        )
        return _finish(arch, s, params, 0, breakdown, notes)

    trainable, frozen_bytes_per_param = _trainable(arch, s)
    adapters = s.method in ("lora", "qlora", "prompt-tuning")
    adapter_bytes = 4.0 if adapters and s.adapter_precision == "fp32" else value
    if s.method == "qlora":
        constants = 0.127 / 8 if s.double_quant else 0.5 / 8
        # Only the transformer layers' linear weights are quantized; embeddings, the LM
        # head and the norms stay in 16 bits (as bitsandbytes and PEFT leave them).
        quantized = arch.linear_params
        base = quantized * (0.5 + constants) + (params - quantized) * frozen_bytes_per_param
        weights = base + trainable * adapter_bytes
        notes.insert(
            0,
            f"frozen base in NF4 with {'double-quantized ' if s.double_quant else ''}"
            f"constants ({0.5 + constants:.4f} bytes per weight)",
        )
    elif adapters:
        weights = params * frozen_bytes_per_param + trainable * adapter_bytes
    else:
        weights = (params - trainable) * frozen_bytes_per_param + trainable * value

    states = _STATES[s.optimizer]
    if adapters:
        master, gradient_bytes = 0.0, adapter_bytes
        state_bytes = 1.0 if s.optimizer == "adam8bit" else adapter_bytes
        notes.insert(
            0,
            "adapters, their gradients and optimizer states in "
            + ("fp32 (PEFT's default beside a 16-bit base)" if adapter_bytes == 4 else compute),
        )
    else:
        master = trainable * 4.0 if mixed else 0.0
        gradient_bytes = value
        state_bytes = 1.0 if s.optimizer == "adam8bit" else (4.0 if mixed else value)
        notes.insert(
            0,
            "mixed precision: fp32 master weights and optimizer states (counted under "
            "optimizer), 16-bit weights and gradients"
            if mixed
            else f"every value in {compute}, the napkin model",
        )
    gradients = trainable * gradient_bytes
    optimizer = trainable * states * state_bytes + master
    transient = _step_transient(arch, s, trainable, 4.0 if master else gradient_bytes)
    activations, loss = _training_activations(arch, s, value, adapter_bytes)
    split = s.split
    if split != "none":
        optimizer /= s.gpus
        transient /= s.gpus
        if split != "zero1":
            gradients /= s.gpus
        if split in ("zero3", "fsdp"):
            # Each GPU holds its shard; a layer's full weights are gathered for its
            # forward and backward, and the next one prefetched: two layers in flight.
            gathered = 2 * arch.layer_params * value
            weights = weights / s.gpus + gathered
        what = {
            "zero1": "optimizer states",
            "zero2": "gradients and optimizer states",
            "zero3": "weights, gradients and optimizer states",
            "fsdp": "weights, gradients and optimizer states",
        }[split]
        label = "FSDP full shard" if split == "fsdp" else f"ZeRO stage {split[-1]}"
        notes.append(
            f"{what} sharded over {s.gpus} GPUs ({label}"
            + (", the default for several GPUs" if s.sharding is None else "")
            + ")"
            + (
                "; weights replicated"
                if split not in ("zero3", "fsdp")
                else "; two layers' weights gathered at a time"
            )
        )
    elif s.gpus > 1:
        notes.append(f"nothing sharded over the {s.gpus} GPUs (data parallel): each holds all")
    step = weights + gradients + optimizer + transient
    backward = weights + optimizer + activations + loss
    if step >= backward:
        breakdown = {
            "weights": weights,
            "gradients": gradients,
            "optimizer": optimizer + transient,
            "activations": 0.0,
        }
    else:
        breakdown = {
            "weights": weights,
            "gradients": 0.0,
            "optimizer": optimizer,
            "activations": activations + loss,
        }
    notes.append(
        f"peak at the {'optimizer step' if step >= backward else 'start of the backward pass'} "
        f"(step {step / GB:.2f} GB, backward {backward / GB:.2f} GB, the larger counts)"
    )
    notes.append(
        f"{s.optimizer}: {states} state(s) per trainable parameter, {s.step_impl} step"
        + (f" holding {transient / GB:.2f} GB more while it runs" if transient else "")
    )
    notes.append(
        {
            "hf": "the usual Hugging Face loss: fp32 log-probabilities and two fp32 gradients",
            "chunked": "a chunked cross-entropy: no full fp32 copy of the logits",
            "fused": "a fused cross-entropy: logits not kept in fp32",
        }[s.loss]
    )
    notes.append(
        "gradient checkpointing on"
        if s.gradient_checkpointing
        else "gradient checkpointing off: every layer's activations kept"
    )
    notes.append(
        "LitGPT's layers (fused query-key-value projection, its LoRA layers)"
        if s.framework == "litgpt"
        else "Hugging Face transformers layers"
        + (" with PEFT's adapters" if s.method in ("lora", "qlora") else "")
    )
    if s.lora_dropout and s.method in ("lora", "qlora"):
        notes.append(f"LoRA dropout {s.lora_dropout:g}: each adapter keeps its mask")
    return _finish(
        arch,
        s,
        params,
        trainable,
        breakdown,
        notes,
        {"optimizer_step": step, "backward_start": backward},
    )


def _step_transient(arch: Architecture, s: Settings, trainable: int, bytes_per: float) -> float:
    """What AdamW allocates during its step, beyond the states (PyTorch's AdamW notes:
    foreach trades memory for speed, about one more copy of the parameters; fused
    needs none; the for-loop works a tensor at a time, about two of the largest)."""
    if s.optimizer in ("sgd",) or s.step_impl == "fused":
        return 0.0
    if s.step_impl == "foreach":
        return trainable * bytes_per
    if s.method in ("full", "partial"):
        largest = max(
            arch.vocab_size * arch.hidden_size, max(a * b for a, b in arch.shapes().values())
        )
    elif s.method == "prompt-tuning":
        largest = trainable
    else:
        largest = s.rank * max(max(a, b) for a, b in arch.shapes().values())
    return 2 * min(largest, trainable) * bytes_per


def _trainable(arch: Architecture, s: Settings) -> tuple[int, float]:
    """Trainable parameters, and bytes per frozen parameter."""
    frozen = _VALUE_BYTES["fp32" if s.precision == "fp32" else "bf16"]
    if s.method == "full":
        return arch.params, frozen
    if s.method == "partial":
        layers = min(s.top_layers, arch.num_hidden_layers)
        return layers * arch.layer_params, frozen
    if s.method in ("lora", "qlora"):
        return lora_params(arch, s.rank, s.targets), frozen
    return s.virtual_tokens * arch.hidden_size, frozen


def _input_widths(arch: Architecture) -> dict[str, int]:
    shapes = arch.shapes()
    return {str(t): shapes[t][0] for t in shapes}


def _layer_activations(
    arch: Architecture,
    s: Settings,
    value: float,
    *,
    inference: bool = False,
    adapter_bytes: float = 4.0,
) -> float:
    """Bytes one transformer layer keeps for the backward pass, per micro-batch:

    - full finetuning, per token: c·(4i + 4h + 2kv) + 2(4 + c)·h, the second term the
      two RMSNorms' fp32 copies in 16-bit training;
    - frozen weights (LoRA, QLoRA, prompt tuning): c·(3i + 2h + 2kv) + 8h, plus a copy
      of each adapted module's input (PEFT's, in the adapters' precision; when that is
      the compute precision there is no cast, and modules reading one tensor keep it
      once, unless dropout gives each its own); QLoRA's
      bitsandbytes layers also keep each quantized linear's input, c·(2h + i);
    - eager attention adds the softmax in fp32 and its cast, (4 + c)·heads·s per token.

    (Measured per layer with PyTorch saved-tensor hooks; Korthikanti et al. 2022 give
    the same structure for pretraining.) For inference, one layer's forward working set.
    """
    h, i, kv = arch.hidden_size, arch.active_intermediate_size, arch.kv_dim
    c = value
    sb = s.seq_len * s.batch
    if inference:
        return (c * (2 * i + 2 * h + 2 * kv)) * sb
    if s.framework == "litgpt":
        per_token = _litgpt_layer(arch, s, c)
    elif s.method in ("full", "partial"):
        per_token = c * (4 * i + 4 * h + 2 * kv) + 2 * (4 + c) * h
    else:
        per_token = c * (3 * i + 2 * h + 2 * kv) + 8 * h
        if s.method in ("lora", "qlora"):
            widths = _input_widths(arch)
            adapted = [t for t in s.targets if t in widths]
            if adapter_bytes == c and not s.lora_dropout:
                # No cast and no dropout: modules that read one tensor keep it once.
                adapted = list({_SHARED_INPUT.get(t, t): t for t in adapted}.values())
            per_token += (adapter_bytes + _mask_bytes(s, adapter_bytes)) * sum(
                widths[t] for t in adapted
            )
    if s.method == "qlora":
        per_token += c * (2 * h + i)
    per_layer = per_token * sb
    if s.attention == "eager":
        per_layer += (4 + c) * arch.num_attention_heads * s.seq_len * s.seq_len * s.batch
    return per_layer


_SHARED_INPUT = {"k": "q", "v": "q", "up": "gate"}
"""Projections that read the same tensor: q, k, v the attention norm's output, gate and
up the feed-forward norm's."""


def _mask_bytes(s: Settings, value: float) -> float:
    """A dropout mask per element: bool on CUDA; on the CPU, measured, a mask the
    size of the values."""
    if not s.lora_dropout:
        return 0.0
    return 1.0 if s.device == "cuda" else value


def _litgpt_layer(arch: Architecture, s: Settings, c: float) -> float:
    """Bytes per token one LitGPT layer keeps (litgpt 0.5, measured with saved-tensor
    hooks on the CPU, `benchmarks/measure_layers.py`): attention keeps the query, the
    key and value, the output; with grouped-query attention the key and value are
    expanded to every query head first, and without it the value is a view of the
    fused projection's output, which stays whole. Its RMSNorm keeps the fp32 input
    (and, when the norm is trained, the fp32 normalised values too). LoRA on the fused
    projection keeps its (dropped-out) input and, unless it adapts all three of q, k
    and v, the padded output of the adapted ones; a LoRA linear keeps its input."""
    h, i, q, kv = arch.hidden_size, arch.active_intermediate_size, arch.q_dim, arch.kv_dim
    grouped = arch.num_key_value_heads < arch.num_attention_heads and not arch.mla
    attention = c * 4 * q if grouped else c * (q + kv + (q + 2 * kv) + q)
    mlp = 3 * c * i
    if s.method in ("full", "partial"):
        return attention + mlp + 2 * 8 * h + c * (h + q + h + i)
    per_token = attention + mlp + 2 * 4 * h
    if s.method not in ("lora", "qlora"):
        return per_token
    mask = _mask_bytes(s, c)
    widths = _input_widths(arch)
    fused = [t for t in ("q", "k", "v") if t in s.targets]
    if fused:
        per_token += (c + mask) * h
        if len(fused) < 3:
            out = {"q": q, "k": kv, "v": kv}
            per_token += c * sum(out[t] for t in fused)
    if "o" in s.targets:
        per_token += (c + mask) * widths["o"]
    feed = [t for t in ("gate", "up") if t in s.targets]
    if feed:  # one input for both without dropout; a dropped-out copy each with it
        per_token += c * h * (len(feed) if s.lora_dropout else 1) + mask * h * len(feed)
    if "down" in s.targets:
        per_token += (c + mask) * i
    return per_token


LOSS_BYTES = {"hf": 12.0, "chunked": None, "fused": None}
"""Bytes per element of [batch, sequence, vocabulary] the loss holds at its backward's
peak: Hugging Face's causal-LM loss keeps fp32 log-probabilities and makes two fp32
gradients of that size, 12 bytes whatever the logits' precision (measured on the CPU:
12 + c while the caller still holds the logits, which the Trainer does not; the
logits themselves are kept by nothing else); chunked and fused losses need about two
16-bit values (2c), the logits and their log-probabilities."""


def _training_activations(
    arch: Architecture, s: Settings, value: float, adapter_bytes: float
) -> tuple[float, float]:
    """Saved activations, and the loss's temporaries, at the start of the backward pass."""
    layers = arch.num_hidden_layers
    if s.method == "partial":
        layers = min(s.top_layers, layers)  # backpropagation stops below the trained layers
    seq = s.seq_len + (s.virtual_tokens if s.method == "prompt-tuning" else 0)
    s = s._replace(seq_len=seq)
    one = _layer_activations(arch, s, value, adapter_bytes=adapter_bytes)
    tokens = s.seq_len * s.batch
    elements = tokens * arch.vocab_size
    per = LOSS_BYTES[s.loss]
    loss = elements * (per if per is not None else 2 * value)
    final_norm = (4 + value) * arch.hidden_size * tokens
    if s.gradient_checkpointing:
        # The last layer is recomputed only once the loss's backward has freed its
        # temporaries: the two do not add up.
        inputs = layers * arch.hidden_size * tokens * value
        return inputs + final_norm + max(one - loss, 0.0), loss
    return layers * one + final_norm, loss


def _finish(
    arch: Architecture,
    s: Settings,
    params: int,
    trainable: int,
    breakdown: dict[str, float],
    notes: list[str],
    phases: dict[str, float] | None = None,
) -> Estimate:
    subtotal = sum(breakdown.values())
    if s.device == "cuda":
        breakdown["overhead"] = OVERHEAD_BYTES + FRAGMENTATION * subtotal
        notes.append(
            f"allowance of {OVERHEAD_BYTES / GIB:.0f} GiB for the CUDA context plus "
            f"{FRAGMENTATION:.0%} allocator fragmentation"
        )
    else:
        breakdown["overhead"] = 0.0
        notes.append(
            "on the CPU: tensors only, no allowance (compare with RSS measured "
            "with glibc told to return freed memory)"
        )
    return Estimate(arch, s, params, trainable, breakdown, tuple(notes), phases or {})


# ---- inverse questions --------------------------------------------------------------------


def largest(
    arch: Architecture,
    settings: Settings,
    gpu_memory_gb: float,
    field: Literal["batch", "seq_len"],
    limit: int = 1 << 20,
) -> int | None:
    """The largest batch or sequence length that fits, or None if even 1 does not."""

    def fits(n: int) -> bool:
        trial = settings._replace(batch=n) if field == "batch" else settings._replace(seq_len=n)
        return estimate(arch, trial).fits(gpu_memory_gb)

    if not fits(1):
        return None
    low, high = 1, 2
    while high <= limit and fits(high):
        low, high = high, high * 2
    high = min(high, limit + 1)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low


MAX_GPUS = 4096


def gpus_needed(
    arch: Architecture, settings: Settings, gpu_memory_gb: float
) -> tuple[int, Sharding] | None:
    """The fewest GPUs of this size that fit, under the chosen sharding, or under FSDP
    when none was chosen and one GPU is not enough (inference: tensor parallel); None if
    no count does (training without sharded weights: more GPUs never shrink them)."""
    if estimate(arch, settings._replace(gpus=1)).fits(gpu_memory_gb):
        return 1, settings.sharding or "none"
    sharding: Sharding = settings.sharding or "fsdp"
    if settings.method == "inference":
        sharding = "none"  # tensor parallel: the weights split whatever the setting
    elif sharding == "none":
        return None

    def fits(n: int) -> bool:
        return estimate(arch, settings._replace(gpus=n, sharding=sharding)).fits(gpu_memory_gb)

    high = 2
    while not fits(high):
        if high >= MAX_GPUS:
            return None
        high *= 2
    low = high // 2  # does not fit
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if fits(mid) else (mid, high)
    return high, sharding


def smallest_gpu(arch: Architecture, settings: Settings) -> tuple[str, float] | None:
    for name, size in COMMON_GPUS:
        if estimate(arch, settings).fits(size):
            return name, size
    return None


# ---- the napkin formulas, exactly as the chapter states them -------------------------------


def napkin_inference_bytes(params: float, bytes_per_param: float) -> float:
    """N × M × 1.2: weights plus ~20% for activations and the KV cache."""
    return params * bytes_per_param * 1.2


def napkin_gradients_and_states_bytes(
    trainable: float, optimizer: Optimizer, bytes_per_value: float
) -> float:
    """One gradient plus the optimizer's states per trainable parameter."""
    return trainable * (1 + _STATES[optimizer]) * bytes_per_value


def report(est: Estimate, gpu_memory_gb: float | None) -> dict[str, Any]:
    """The estimate as plain data (the `--format json` document)."""
    if gpu_memory_gb is not None and not 0 < gpu_memory_gb <= 1_000_000:
        raise UserError("--gpu-memory must be a positive number of GB (as on the spec sheet)")
    a, s = est.arch, est.settings
    training = s.method != "inference"
    doc: dict[str, Any] = {
        "model": {
            "name": a.name,
            "source": a.source,
            "params": est.params,
            "hidden_size": a.hidden_size,
            "num_hidden_layers": a.num_hidden_layers,
            "intermediate_size": a.intermediate_size,
            "num_attention_heads": a.num_attention_heads,
            "num_key_value_heads": a.num_key_value_heads,
            "vocab_size": a.vocab_size,
            "tie_word_embeddings": a.tie_word_embeddings,
            "head_dim": a.head_size,
            "dtype": a.dtype,
            "quantization": a.quantization,
        },
        "method": s.method,
        "precision": s.precision,
        "optimizer": s.optimizer if training else None,
        "batch": s.batch,
        "seq_len": s.seq_len,
        "new_tokens": None if training else s.new_tokens,
        "lora": {"rank": s.rank, "targets": list(s.targets)}
        if s.method in ("lora", "qlora")
        else None,
        "gradient_checkpointing": s.gradient_checkpointing if training else None,
        "attention": s.attention,
        "gpus": s.gpus,
        "framework": s.framework if training else None,
        "lora_dropout": s.lora_dropout if s.method in ("lora", "qlora") else None,
        "params": est.params,
        "trainable_params": est.trainable_params,
        **({"active_params": a.active_params} if a.moe else {}),
        "breakdown": {k: round(v / GB, 3) for k, v in est.breakdown.items()},
        "breakdown_bytes": {k: round(v) for k, v in est.breakdown.items()},
        "total_gb": round(est.total_gb, 3),
        "tensor_peak_gb": round(est.tensor_bytes / GB, 3),
        "runtime_allowance_gb": round(est.breakdown.get("overhead", 0.0) / GB, 3),
        "phases_gb": {k: round(v / GB, 3) for k, v in est.phases.items()},
        "device": s.device,
        "loss": s.loss if training else None,
        "optimizer_impl": s.step_impl if training else None,
        "unit": "GB = 10^9 bytes, per GPU; GPU sizes are read as GiB (spec-sheet GB)",
        "gpu_memory_gb": gpu_memory_gb,
        "fits": est.fits(gpu_memory_gb) if gpu_memory_gb else None,
        "headroom_gb": round(est.headroom_gb(gpu_memory_gb), 3) if gpu_memory_gb else None,
        "assumptions": [*a.notes, *est.assumptions],
    }
    if a.moe:
        doc["model"]["experts"] = {
            "routed": a.experts,
            "per_token": a.experts_per_token,
            "intermediate_size": a.expert_intermediate_size,
            "shared_intermediate_size": a.shared_intermediate_size,
            "dense_layers": a.dense_layers,
        }
    if gpu_memory_gb:
        doc["largest_batch"] = largest(a, s, gpu_memory_gb, "batch", limit=4096)
        doc["largest_seq_len"] = largest(a, s, gpu_memory_gb, "seq_len", limit=1 << 20)
    gpu = smallest_gpu(a, s)
    doc["smallest_gpu"] = {"name": gpu[0], "memory_gb": gpu[1]} if gpu else None
    doc["sharding"] = s.split
    if gpu_memory_gb:
        needed = gpus_needed(a, s, gpu_memory_gb)
        doc["gpus_needed"] = (
            {"gpus": needed[0], "sharding": needed[1], "gpu_memory_gb": gpu_memory_gb}
            if needed
            else None
        )
    return doc
