"""Models where they live, read offline: a local directory or the Hugging Face cache,
its `config.json` and the headers of its `*.safetensors` files.

A safetensors file starts with an 8-byte little-endian header length and a JSON header
that names every tensor with its dtype and shape; reading that header gives the exact
parameter count and storage dtype without loading a weight (nothing in the directory
is executed: no `trust_remote_code`). When only `model.safetensors.index.json` is
present, its `metadata.total_size` gives the bytes.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections import Counter
from pathlib import Path
from typing import Any

from ftadvisor.errors import UserError
from ftadvisor.files import open_regular, read_at_most
from ftadvisor.plan.architecture import (
    CUSTOM_FLAGS,
    MAX_PARAMS_BILLION,
    Architecture,
    from_config_file,
    from_hf_config,
    from_params,
    preset,
)

MAX_HEADER_BYTES = 100 * 1024 * 1024
"""A header larger than this names no real checkpoint (the largest are a few MB)."""
MAX_SHARDS = 10_000
DTYPE_BYTES = {
    "F64": 8,
    "I64": 8,
    "U64": 8,
    "F32": 4,
    "I32": 4,
    "U32": 4,
    "F16": 2,
    "BF16": 2,
    "I16": 2,
    "U16": 2,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
}
"""Bytes per element of each safetensors dtype (the format's specification)."""
FLOATS = {"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"}
_DTYPE_NAMES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F8_E4M3": "float8_e4m3"}


def hub_cache() -> Path:
    """Where the Hugging Face hub keeps downloads: `HF_HUB_CACHE`, else `HF_HOME/hub`,
    else `~/.cache/huggingface/hub` (huggingface_hub's own order)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser())
    return cache / "huggingface" / "hub"


def cached_snapshot(repo: str) -> Path | None:
    """The snapshot of `org/name` that `refs/main` points to, else the newest one."""
    if repo.count("/") != 1 or ".." in repo:
        return None
    folder = hub_cache() / ("models--" + repo.replace("/", "--"))
    snapshots = folder / "snapshots"
    try:
        ref = (folder / "refs" / "main").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        ref = ""
    if ref and (snapshots / ref / "config.json").is_file():
        return snapshots / ref
    try:
        found = [p for p in snapshots.iterdir() if (p / "config.json").is_file()]
    except OSError:
        return None
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def locate(name: str) -> Path | None:
    """A model directory that `name` names: a local directory, or a cached repo."""
    path = Path(name).expanduser()
    try:
        if path.is_dir():
            return path
    except OSError:
        return None
    return cached_snapshot(name)


def _header(path: Path) -> dict[str, Any]:
    try:
        with open_regular(path) as handle:
            start = read_at_most(handle, 7)
            if len(start) != 8:
                raise UserError(f"{path}: too short to be a safetensors file")
            (length,) = struct.unpack("<Q", start)
            if length > MAX_HEADER_BYTES:
                raise UserError(
                    f"{path}: its header claims {length:,} bytes, more than the "
                    f"{MAX_HEADER_BYTES:,} a safetensors header may have here"
                )
            raw = read_at_most(handle, length - 1) if length else b""
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(raw) != length:
        raise UserError(f"{path}: cut short inside its header")
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError):
        raise UserError(f"{path}: its header is not JSON (not a safetensors file?)") from None
    if not isinstance(header, dict):
        raise UserError(f"{path}: its header is not a JSON object")
    return header


def tensor_counts(paths: list[Path]) -> tuple[int, Counter[str]]:
    """Elements of every tensor in `paths`, and elements by dtype."""
    total = 0
    by_dtype: Counter[str] = Counter()
    for path in paths:
        for name, info in _header(path).items():
            if name == "__metadata__":
                continue
            if not isinstance(info, dict):
                raise UserError(f"{path}: tensor {name!r}: expected an object")
            dtype, shape = info.get("dtype"), info.get("shape")
            if dtype not in DTYPE_BYTES or not isinstance(shape, list):
                raise UserError(f"{path}: tensor {name!r}: unknown dtype or shape")
            if not all(isinstance(d, int) and 0 <= d <= 2**40 for d in shape):
                raise UserError(f"{path}: tensor {name!r}: a dimension is not a size")
            count = math.prod(shape)
            total += count
            by_dtype[dtype] += count
    return total, by_dtype


def _shards(directory: Path) -> tuple[list[Path], int | None]:
    """The safetensors files of a checkpoint, and the index's total size if shards are
    missing (a partial download)."""
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        try:
            with open_regular(index) as handle:
                data = json.loads(read_at_most(handle, MAX_HEADER_BYTES))
        except (OSError, ValueError, RecursionError):
            raise UserError(f"{index}: not a readable safetensors index") from None
        weight_map = data.get("weight_map") if isinstance(data, dict) else None
        if not isinstance(weight_map, dict):
            raise UserError(f"{index}: no weight_map")
        names = sorted({str(v) for v in weight_map.values()})[:MAX_SHARDS]
        files = [directory / n for n in names if "/" not in n and ".." not in n]
        if files and all(f.is_file() for f in files):
            return files, None
        total = (data.get("metadata") or {}).get("total_size")
        return [], int(total) if isinstance(total, int) and total > 0 else None
    return sorted(directory.glob("*.safetensors"))[:MAX_SHARDS], None


def from_directory(directory: Path, name: str | None = None) -> Architecture:
    """The architecture of a model directory: its config, with the exact count and
    dtype its safetensors headers give (quantized packings are left to the config)."""
    config = directory / "config.json"
    if not config.is_file():
        raise UserError(f"{directory}: no config.json in this model directory")
    arch = from_config_file(config)._replace(name=name or str(directory), source=str(directory))
    files, total_bytes = _shards(directory)
    notes = list(arch.notes)
    if files:
        count, by_dtype = tensor_counts(files)
        packed = any(d not in FLOATS for d in by_dtype)
        main = by_dtype.most_common(1)[0][0] if by_dtype else None
        if count and not packed:
            notes.append(
                f"{count:,} parameters from the headers of {len(files)} safetensors file(s)"
            )
            return arch._replace(
                stored_params=count,
                dtype=_DTYPE_NAMES.get(main or "", arch.dtype),
                notes=tuple(notes),
            )
        if packed:
            notes.append("the safetensors hold packed (quantized) tensors: counted from the config")
    elif total_bytes:
        width = {"float32": 4, "float16": 2, "bfloat16": 2}.get(arch.dtype or "", 2)
        notes.append(
            f"{total_bytes:,} bytes in the safetensors index, at {width} bytes a parameter"
        )
        return arch._replace(stored_params=total_bytes // width, notes=tuple(notes))
    return arch._replace(notes=tuple(notes))


def named(name: str) -> Architecture:
    """The model `name` names, looked for in order: a local directory, the Hugging Face
    cache, the presets (`…-Instruct` and other variants as their base model)."""
    directory = locate(name)
    if directory is not None:
        return from_directory(directory, name)
    return preset(name)


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
        return named(model)
    if params is not None:
        if not 0 < params <= MAX_PARAMS_BILLION:
            raise UserError(
                f"--params must be a positive number of billions, at most {MAX_PARAMS_BILLION:,}"
            )
        return from_params(params)
    if config is not None:
        if config.is_dir():
            return from_directory(config)
        return from_config_file(config)
    missing = [f for f in CUSTOM_FLAGS if f not in given]
    if missing:
        raise UserError(
            "a custom architecture needs "
            + ", ".join("--" + f.replace("_", "-") for f in CUSTOM_FLAGS)
        )
    return from_hf_config(given, "custom")
