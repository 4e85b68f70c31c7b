"""A model's shape, from a preset, a parameter count or a Hugging Face config.

Kept apart from the memory model so that checking a profile's `model.preset` loads the
presets without the estimator.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ftadvisor.choices import Target
from ftadvisor.errors import UserError


class Architecture(NamedTuple):
    """What parameter and activation counts need, named as in Hugging Face configs."""

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

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def kv_dim(self) -> int:
        return self.num_key_value_heads * self.head_dim

    def shapes(self) -> dict[Target, tuple[int, int]]:
        """(in, out) of each weight matrix in one transformer layer."""
        h, i, kv = self.hidden_size, self.intermediate_size, self.kv_dim
        shapes: dict[Target, tuple[int, int]] = {
            "q": (h, h),
            "k": (h, kv),
            "v": (h, kv),
            "o": (h, h),
            "up": (h, i),
            "down": (i, h),
        }
        if self.mlp == "gated":
            shapes["gate"] = (h, i)
        return shapes

    @property
    def layer_params(self) -> int:
        return sum(a * b for a, b in self.shapes().values()) + 2 * self.hidden_size

    @property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size * (1 if self.tie_word_embeddings else 2)

    @property
    def params(self) -> int:
        """Weights of matrices, embeddings and norms (biases, where any, are left out)."""
        return self.num_hidden_layers * self.layer_params + self.embedding_params + self.hidden_size


def lora_params(arch: Architecture, rank: int, targets: tuple[str, ...]) -> int:
    """r·(n+m) per adapted n×m matrix, per layer (Hu et al. 2021)."""
    shapes: dict[str, tuple[int, int]] = {str(k): v for k, v in arch.shapes().items()}
    missing = [t for t in targets if t not in shapes]
    if missing:
        raise UserError(
            f"{arch.name} has no {', '.join(missing)} matrices; it has {', '.join(shapes)}"
        )
    return arch.num_hidden_layers * sum(rank * (shapes[t][0] + shapes[t][1]) for t in targets)


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
        arch = Architecture(
            hidden_size=entry["hidden_size"],
            num_hidden_layers=entry["num_hidden_layers"],
            intermediate_size=entry["intermediate_size"],
            num_attention_heads=entry["num_attention_heads"],
            num_key_value_heads=entry["num_key_value_heads"],
            vocab_size=entry["vocab_size"],
            tie_word_embeddings=entry["tie_word_embeddings"],
            mlp=entry.get("mlp", "gated"),
            name=entry["alias"],
            source=entry["source"],
            params_billion=entry.get("params_billion"),
        )
        for name in names:
            table[name.lower()] = arch
    return table


def preset(name: str) -> Architecture:
    import difflib

    found = presets().get(name.lower())
    if found is None:
        close = difflib.get_close_matches(name.lower(), presets(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = sorted({a.name for a in presets().values()})
        raise UserError(f"unknown model {name!r}{hint} Known: {', '.join(known)}")
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


def from_hf_config(data: dict[str, Any], name: str) -> Architecture:
    """An architecture from a Hugging Face config.json (already parsed)."""
    try:
        heads = int(data["num_attention_heads"])
        arch = Architecture(
            hidden_size=int(data["hidden_size"]),
            num_hidden_layers=int(data["num_hidden_layers"]),
            intermediate_size=int(data["intermediate_size"]),
            num_attention_heads=heads,
            num_key_value_heads=int(data.get("num_key_value_heads") or heads),
            vocab_size=int(data["vocab_size"]),
            tie_word_embeddings=bool(data.get("tie_word_embeddings", False)),
            name=name,
            source=name,
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise UserError(f"{name}: not a usable Hugging Face config: missing or bad {exc}") from None
    return check(arch)


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


def resolve(
    *,
    model: str | None = None,
    params: float | None = None,
    config: Path | None = None,
    custom: dict[str, Any] | None = None,
) -> Architecture:
    """The one architecture that exactly one of the ways of naming a model names.

    `custom` holds Hugging Face config keys; entries that are None were not given.
    """
    given = {k: v for k, v in (custom or {}).items() if v is not None}
    dims_given = any(k in given for k in (*CUSTOM_FLAGS, "num_key_value_heads"))
    if sum(x is not None for x in (model, params, config)) + dims_given != 1:
        flags = ", ".join("--" + f.replace("_", "-") for f in CUSTOM_FLAGS)
        raise UserError(
            f"give exactly one of --model, --params, --config, or a custom architecture ({flags})"
        )
    if model is not None:
        return preset(model)
    if params is not None:
        if not 0 < params <= MAX_PARAMS_BILLION:
            raise UserError(
                f"--params must be a positive number of billions, at most {MAX_PARAMS_BILLION:,}"
            )
        return from_params(params)
    if config is not None:
        return from_config_file(config)
    missing = [f for f in CUSTOM_FLAGS if f not in given]
    if missing:
        raise UserError(
            "a custom architecture needs "
            + ", ".join("--" + f.replace("_", "-") for f in CUSTOM_FLAGS)
        )
    return from_hf_config(given, "custom")


def distinct_presets() -> list[Architecture]:
    """Each preset once, smallest first (`ftadvisor memory --list`)."""
    return sorted({a.name: a for a in presets().values()}.values(), key=lambda a: a.params)
