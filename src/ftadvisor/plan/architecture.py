"""A model's shape, from a preset, a parameter count or a Hugging Face config.

Kept apart from the memory model so that checking a profile's `model.preset` loads the
presets without the estimator.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ftadvisor.choices import Target
from ftadvisor.errors import UserError


class Architecture(NamedTuple):
    """What parameter and activation counts need, named as in Hugging Face configs.

    Dense models need only the first six; the rest describe what modern families add:
    an explicit `head_dim` (Gemma, Qwen3, Mistral Nemo: heads × head_dim ≠ hidden),
    biases, extra norms, mixture-of-experts feed-forward layers and DeepSeek's latent
    attention. `stored_params`, when known, is the exact count from the checkpoint's
    safetensors headers and wins over the count from the shapes.
    """

    hidden_size: int
    num_hidden_layers: int
    intermediate_size: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    tie_word_embeddings: bool = False
    mlp: Literal["gated", "plain"] = "gated"
    name: str = "custom"
    source: str | None = None
    params_billion: float | None = None
    """The published count, when known (parameter totals are computed regardless)."""
    head_dim: int | None = None
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    norms_per_layer: int = 2
    qk_norm: bool = False
    experts: int = 0
    """Routed experts per MoE layer; 0 for a dense model."""
    experts_per_token: int = 0
    expert_intermediate_size: int = 0
    shared_intermediate_size: int = 0
    """Width of the always-active shared expert(s), 0 if none."""
    shared_expert_gate: bool = False
    router_bias: bool = False
    dense_layers: int = 0
    """Layers of an MoE model whose feed-forward is dense (`intermediate_size`)."""
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    """DeepSeek's multi-head latent attention, when non-zero (with the three head dims)."""
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    extra_params: int = 0
    """Parameters outside the language model that stay in memory (a vision tower)."""
    stored_params: int | None = None
    dtype: str | None = None
    """`torch_dtype` of the checkpoint, or the dtype its safetensors headers hold."""
    quantization: str | None = None
    """The checkpoint's `quantization_config` in words (e.g. "bitsandbytes 4-bit")."""
    notes: tuple[str, ...] = ()

    @property
    def head_size(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @property
    def mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def q_dim(self) -> int:
        if self.mla:
            return self.num_attention_heads * (self.qk_nope_head_dim + self.qk_rope_head_dim)
        return self.num_attention_heads * self.head_size

    @property
    def kv_dim(self) -> int:
        """Width of what the KV cache holds per token and layer (keys and values each)."""
        if self.mla:  # the latent and the shared rope key are what is cached
            return (self.kv_lora_rank + self.qk_rope_head_dim + 1) // 2
        return self.num_key_value_heads * self.head_size

    @property
    def moe(self) -> bool:
        return self.experts > 0

    @property
    def sparse_layers(self) -> int:
        return self.num_hidden_layers - self.dense_layers if self.moe else 0

    def attention_shapes(self) -> dict[str, tuple[int, int]]:
        h, heads = self.hidden_size, self.num_attention_heads
        if self.mla:
            rope, nope, v = self.qk_rope_head_dim, self.qk_nope_head_dim, self.v_head_dim
            shapes = {"kv_a": (h, self.kv_lora_rank + rope)}
            shapes["kv_b"] = (self.kv_lora_rank, heads * (nope + v))
            if self.q_lora_rank:
                shapes["q_a"], shapes["q_b"] = (h, self.q_lora_rank), (self.q_lora_rank, self.q_dim)
            else:
                shapes["q"] = (h, self.q_dim)
            shapes["o"] = (heads * v, h)
            return shapes
        return {
            "q": (h, self.q_dim),
            "k": (h, self.kv_dim),
            "v": (h, self.kv_dim),
            "o": (self.q_dim, h),
        }

    def mlp_shapes(self, intermediate: int) -> dict[str, tuple[int, int]]:
        h = self.hidden_size
        shapes = {"up": (h, intermediate), "down": (intermediate, h)}
        if self.mlp == "gated":
            shapes["gate"] = (h, intermediate)
        return shapes

    def shapes(self) -> dict[Target, tuple[int, int]]:
        """(in, out) of each weight matrix LoRA can target in one dense layer (for an
        MoE model: one expert's). DeepSeek's latent attention is adapted on its
        up-projections: q (q_b, or q), k and v (kv_b, which makes both)."""
        attention = self.attention_shapes()
        if self.mla:
            attention = {
                "q": attention.get("q_b", attention.get("q", (0, 0))),
                "k": attention["kv_a"],
                "v": attention["kv_b"],
                "o": attention["o"],
            }
        width = self.expert_intermediate_size if self.moe else self.intermediate_size
        return {**attention, **self.mlp_shapes(width)}  # type: ignore[dict-item]

    def matrices(self) -> dict[str, int]:
        """How many of each LoRA target the whole model has (experts count one each)."""
        layers = self.num_hidden_layers
        counts = {t: layers for t in ("q", "k", "v", "o")}
        mlp = self.sparse_layers * self.experts + (self.dense_layers if self.moe else layers)
        counts.update({t: mlp for t in ("up", "down", "gate")})
        return counts

    @property
    def attention_params(self) -> int:
        params = sum(a * b for a, b in self.attention_shapes().values())
        if self.mla:
            params += self.kv_lora_rank + self.q_lora_rank  # the latents' norms
        if self.qkv_bias:
            params += self.q_dim + 2 * self.kv_dim
        if self.o_bias:
            params += self.hidden_size
        if self.qk_norm:
            params += 2 * self.head_size
        return params

    def _mlp_params(self, intermediate: int) -> int:
        params = sum(a * b for a, b in self.mlp_shapes(intermediate).values())
        if self.mlp_bias:
            params += intermediate * (2 if self.mlp == "gated" else 1) + self.hidden_size
        return params

    def _sparse_mlp_params(self, experts: int) -> int:
        h = self.hidden_size
        params = experts * self._mlp_params(self.expert_intermediate_size)
        params += h * self.experts + (self.experts if self.router_bias else 0)
        if self.shared_intermediate_size:
            params += self._mlp_params(self.shared_intermediate_size)
            params += h if self.shared_expert_gate else 0
        return params

    def _body(self, experts: int) -> int:
        h, layers = self.hidden_size, self.num_hidden_layers
        body = layers * (self.attention_params + self.norms_per_layer * h) + h
        if not self.moe:
            return body + layers * self._mlp_params(self.intermediate_size)
        return (
            body
            + self.dense_layers * self._mlp_params(self.intermediate_size)
            + self.sparse_layers * self._sparse_mlp_params(experts)
        )

    @property
    def layer_params(self) -> int:
        """Parameters of one decoder layer, on average (MoE layers hold every expert)."""
        return (self._body(self.experts) - self.hidden_size) // self.num_hidden_layers

    @property
    def linear_params(self) -> int:
        """Weights of the decoder layers' linear maps: what 4-bit quantization stores."""
        norms = self.norms_per_layer * self.hidden_size + (
            2 * self.head_size if self.qk_norm else 0
        )
        return self.num_hidden_layers * (self.layer_params - norms)

    @property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size * (1 if self.tie_word_embeddings else 2)

    @property
    def computed_params(self) -> int:
        return self._body(self.experts) + self.embedding_params + self.extra_params

    @property
    def params(self) -> int:
        """Every parameter held in memory: the checkpoint's exact count when its
        headers were read, else the count from the shapes (biases and norms included)."""
        return self.stored_params or self.computed_params

    @property
    def active_params(self) -> int:
        """Parameters one token passes through: for MoE the routed experts it uses
        (both embedding matrices counted, as Mistral and Qwen count "active")."""
        if not self.moe:
            return self.params
        return self._body(self.experts_per_token) + self.embedding_params + self.extra_params

    @property
    def active_intermediate_size(self) -> int:
        """Feed-forward width one token's activations span (routed plus shared experts)."""
        if not self.moe:
            return self.intermediate_size
        return self.experts_per_token * self.expert_intermediate_size + (
            self.shared_intermediate_size
        )


def lora_params(arch: Architecture, rank: int, targets: tuple[str, ...]) -> int:
    """r·(n+m) per adapted n×m matrix, for every one the model has (Hu et al. 2021);
    in an MoE model each expert's matrices are adapted."""
    shapes: dict[str, tuple[int, int]] = {str(k): v for k, v in arch.shapes().items()}
    missing = [t for t in targets if t not in shapes]
    if missing:
        raise UserError(
            f"{arch.name} has no {', '.join(missing)} matrices; it has {', '.join(shapes)}"
        )
    counts = arch.matrices()
    return sum(rank * (shapes[t][0] + shapes[t][1]) * counts[t] for t in targets)


# ---- presets --------------------------------------------------------------------------------


@functools.cache
def presets() -> dict[str, Architecture]:
    """Every preset under its alias, its extra aliases and its Hugging Face repo id."""
    from ftadvisor.bundle import parsed

    path = Path(__file__).with_name("presets.yaml")
    entries, _ = parsed(path.read_bytes(), str(path))
    table: dict[str, Architecture] = {}
    for entry in entries:
        names = [entry["alias"], *(entry.get("aliases") or [])]
        if entry.get("hf_repo"):
            names.append(entry["hf_repo"])
        arch = from_hf_config(entry["config"], entry["alias"])._replace(
            source=entry["source"], params_billion=entry["params"] / 1e9
        )
        for name in names:
            table[name.lower()] = arch
    return table


_VARIANT = re.compile(
    r"(?:[-_.](?:instruct|chat|it|base|hf|pt|sft|dpo|rlhf))+(?:[-_.]v?\d[\d.]*)?$|[-_.]\d{4}$"
)
"""Suffixes of tuned or dated releases whose shapes equal the base model's."""


def base_name(name: str) -> str | None:
    """`meta-llama/Llama-3.1-8B-Instruct` → `meta-llama/llama-3.1-8b` (None if no suffix)."""
    lowered = name.lower()
    shorter = _VARIANT.sub("", lowered)
    while shorter != lowered:
        lowered, shorter = shorter, _VARIANT.sub("", shorter)
    return lowered if lowered != name.lower() else None


def preset(name: str) -> Architecture:
    import difflib

    table = presets()
    found = table.get(name.lower())
    base = base_name(name)
    if found is None and base is not None:
        found = table.get(base) or table.get(base.rpartition("/")[2])
    if found is None and "/" in name:
        found = table.get(name.rpartition("/")[2].lower())
    if found is None:
        close = difflib.get_close_matches(name.lower(), table, n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(
            f"unknown model {name!r}{hint} It is not a local directory, a repo in the "
            "Hugging Face cache or a preset (`ftadvisor memory --list`); name its config "
            "with --config DIR/config.json, or its size with --params BILLIONS"
        )
    return found


MAX_PARAMS_BILLION = 1_000_000


def from_params(params_billion: float) -> Architecture:
    """A Llama-shaped stand-in for a model known only by its size: the preset of the
    nearest size, scaled in depth so the parameter count matches."""
    candidates = {a.name: a for a in presets().values() if a.mlp == "gated"}
    target = params_billion * 1e9
    nearest = min(candidates.values(), key=lambda a: abs(math.log(a.params / target)))
    layers = max(1, round((target - nearest.embedding_params) / nearest.layer_params))
    return nearest._replace(
        num_hidden_layers=layers,
        name=f"~{params_billion:g}B ({nearest.name}-shaped)",
        params_billion=params_billion,
        source=f"scaled from {nearest.name}",
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Family:
    """What `families.yaml` says of one `model_type`."""

    defaults: dict[str, Any]
    mlp: Literal["gated", "plain"] = "gated"
    qkv_bias: bool = False
    norms_per_layer: int = 2
    qk_norm: bool = False
    moe: Literal["mixtral", "qwen", "deepseek"] | None = None
    attention: Literal["mla"] | None = None
    router_bias: bool = False
    source: str | None = None


@functools.cache
def families() -> dict[str, Family]:
    from ftadvisor.bundle import parsed

    path = Path(__file__).with_name("families.yaml")
    entries, _ = parsed(path.read_bytes(), str(path))
    return {name: Family(**spec) for name, spec in entries.items()}


def _int(values: dict[str, Any], key: str, where: str, default: int | None = None) -> int:
    value = values.get(key, default)
    if value is None:
        raise UserError(f"{where}: the config has no {key}")
    whole = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        whole, value = True, int(value)
    if not whole:
        raise UserError(f"{where}: {key} must be a whole number, got {value!r}")
    if not 0 <= value <= MAX_DIMENSION:
        shown = f"{value:,}" if abs(value) < 10**15 else f"a {len(str(abs(value)))}-digit number"
        raise UserError(f"{where}: {key} must be from 0 to {MAX_DIMENSION:,}, got {shown}")
    return int(value)


def _text_config(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The language model's keys (multimodal configs nest them under `text_config`)
    and the vision tower's, if any."""
    vision = data.get("vision_config") if isinstance(data.get("vision_config"), dict) else None
    nested = data.get("text_config")
    if not isinstance(nested, dict) or "hidden_size" in data:
        return data, vision
    outer = {k: v for k, v in data.items() if k not in ("text_config", "vision_config")}
    text = {**outer, **nested}
    if "model_type" not in nested and data.get("model_type"):
        text["model_type"] = f"{data['model_type']}_text"
    return text, vision


def _siglip_params(v: dict[str, Any], text_hidden: int, where: str) -> int:
    """A SigLIP vision tower and Gemma 3's projector into the text width (Zhai et al.
    2023; transformers SiglipVisionModel, Gemma3MultiModalProjector)."""
    h = _int(v, "hidden_size", where)
    i = _int(v, "intermediate_size", where)
    layers = _int(v, "num_hidden_layers", where)
    patch, image = _int(v, "patch_size", where), _int(v, "image_size", where)
    channels = _int(v, "num_channels", where, 3)
    embeddings = channels * patch * patch * h + h + (image // max(patch, 1)) ** 2 * h
    layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
    return embeddings + layers * layer + 2 * h + h * text_hidden + h


def _quantization(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    method = str(config.get("quant_method") or "quantized")
    if config.get("load_in_4bit"):
        return f"{method} 4-bit"
    if config.get("load_in_8bit"):
        return f"{method} 8-bit"
    bits = config.get("bits") or config.get("w_bit")
    return f"{method} {bits}-bit" if isinstance(bits, int) else method


def _moe(family: Family, values: dict[str, Any], layers: int, where: str) -> dict[str, Any]:
    kind = family.moe
    if kind is None and (values.get("num_local_experts") or values.get("num_experts")):
        kind = "qwen" if values.get("moe_intermediate_size") else "mixtral"
    if kind is None:
        return {}
    per_token = _int(values, "num_experts_per_tok", where, 2)
    if kind == "mixtral":
        return {
            "experts": _int(values, "num_local_experts", where),
            "experts_per_token": per_token,
            "expert_intermediate_size": _int(values, "intermediate_size", where),
        }
    width = _int(values, "moe_intermediate_size", where)
    if kind == "qwen":
        step = max(1, _int(values, "decoder_sparse_step", where, 1))
        only_dense = set(values.get("mlp_only_layers") or ())
        dense = sum(1 for n in range(layers) if n in only_dense or (n + 1) % step)
        shared = _int(values, "shared_expert_intermediate_size", where, 0)
        return {
            "experts": _int(values, "num_experts", where),
            "experts_per_token": per_token,
            "expert_intermediate_size": width,
            "shared_intermediate_size": shared,
            "shared_expert_gate": shared > 0,
            "dense_layers": dense,
        }
    first = _int(values, "first_k_dense_replace", where, 0)
    frequency = max(1, _int(values, "moe_layer_freq", where, 1))
    dense = sum(1 for n in range(layers) if n < first or n % frequency)
    return {
        "experts": _int(values, "n_routed_experts", where),
        "experts_per_token": per_token,
        "expert_intermediate_size": width,
        "shared_intermediate_size": _int(values, "n_shared_experts", where, 0) * width,
        "router_bias": family.router_bias,
        "dense_layers": dense,
    }


def from_hf_config(data: dict[str, Any], name: str) -> Architecture:
    """An architecture from a Hugging Face config.json (already parsed), with every
    field that changes the count or the memory, and the family's defaults for what the
    file leaves out (`families.yaml`)."""
    text, vision = _text_config(data)
    model_type = str(text.get("model_type") or "")
    known = families()
    family = known.get(model_type) or known["unknown"]
    values = {**family.defaults, **{k: v for k, v in text.items() if v is not None}}
    notes: list[str] = []
    if model_type not in known:
        notes.append(
            f"model_type {model_type or '(none)'} is not one ftadvisor knows: read as a "
            "Llama-like decoder (gated MLP, 2 norms per layer"
            + (", embeddings not tied" if "tie_word_embeddings" not in text else "")
            + ")"
        )
    layers = _int(values, "num_hidden_layers", name)
    heads = _int(values, "num_attention_heads", name)
    hidden = _int(values, "hidden_size", name)
    fields: dict[str, Any] = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "intermediate_size": _int(values, "intermediate_size", name),
        "num_attention_heads": heads,
        "num_key_value_heads": _int(values, "num_key_value_heads", name, heads) or heads,
        "vocab_size": _int(values, "vocab_size", name),
        "tie_word_embeddings": bool(values.get("tie_word_embeddings", False)),
        "mlp": family.mlp,
        "name": name,
        "source": name,
        "qkv_bias": family.qkv_bias or bool(values.get("attention_bias")),
        "o_bias": bool(values.get("attention_bias")),
        "mlp_bias": bool(values.get("mlp_bias")),
        "norms_per_layer": family.norms_per_layer,
        "qk_norm": family.qk_norm,
        "dtype": str(values.get("dtype") or values.get("torch_dtype") or "") or None,
        "quantization": _quantization(data.get("quantization_config")),
    }
    if values.get("head_dim"):
        fields["head_dim"] = _int(values, "head_dim", name)
    fields.update(_moe(family, values, layers, name))
    if family.attention == "mla":
        fields["q_lora_rank"] = _int(values, "q_lora_rank", name, 0)
        for key in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
            fields[key] = _int(values, key, name)
    if vision is not None:
        if vision.get("model_type") == "siglip_vision_model":
            fields["extra_params"] = _siglip_params(vision, hidden, f"{name}: vision_config")
            notes.append("vision tower and projector counted in the weights (frozen)")
        else:
            notes.append("the config has a vision tower, which is not counted")
    fields["notes"] = tuple(notes)
    return check(Architecture(**fields))


MAX_DIMENSION = 10**9
"""Dimensions above a billion describe no model; bounding them keeps the arithmetic finite."""


def check(arch: Architecture) -> Architecture:
    """Refuse shapes no model has (a zero, a negative, heads that do not fit the width)."""
    dims = {
        "hidden_size": arch.hidden_size,
        "num_hidden_layers": arch.num_hidden_layers,
        "intermediate_size": arch.intermediate_size,
        "num_attention_heads": arch.num_attention_heads,
        "num_key_value_heads": arch.num_key_value_heads,
        "vocab_size": arch.vocab_size,
    }
    for key, value in dims.items():
        if not 1 <= value <= MAX_DIMENSION:
            raise UserError(
                f"{arch.name}: {key} must be a whole number from 1 to {MAX_DIMENSION:,}, "
                f"got {value:,}"
            )
    if arch.num_attention_heads > arch.hidden_size:
        raise UserError(f"{arch.name}: more attention heads than hidden units")
    if arch.num_key_value_heads > arch.num_attention_heads:
        raise UserError(f"{arch.name}: more key/value heads than attention heads")
    return arch


CUSTOM_FLAGS = (
    "hidden_size",
    "num_hidden_layers",
    "intermediate_size",
    "num_attention_heads",
    "vocab_size",
)
"""The dimensions a custom architecture must give (`num_key_value_heads` defaults to
the attention heads, `tie_word_embeddings` to false)."""


CONFIG_MAX_BYTES = 1_048_576


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a config can hold")


def from_config_file(path: Path) -> Architecture:
    import json

    from ftadvisor.files import read_bounded

    try:
        raw = read_bounded(path, CONFIG_MAX_BYTES)
    except OSError as exc:
        raise UserError(f"{path}: cannot read a JSON config: {exc.strerror or exc}") from None
    if len(raw) > CONFIG_MAX_BYTES:
        raise UserError(
            f"{path}: larger than {CONFIG_MAX_BYTES:,} bytes; a Hugging Face config.json is "
            "a few kilobytes"
        )
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise UserError(f"{path}: nested too deeply to be a Hugging Face config") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read a JSON config: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a Hugging Face config (expected a JSON object)")
    return from_hf_config(data, str(path))


def distinct_presets() -> list[Architecture]:
    """Each preset once, smallest first (`ftadvisor memory --list`)."""
    return sorted({a.name: a for a in presets().values()}.values(), key=lambda a: a.params)
