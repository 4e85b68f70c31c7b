"""Writing a profile back as commented YAML that loads to the same profile."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ._profile import Profile, section_model


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        # YAML 1.1 (PyYAML) reads 1e-05 as text; it needs the dot: 1.0e-05.
        if "e" in text and "." not in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string
    raise TypeError(f"cannot write {value!r} into a profile")


def dump_profile(data: Mapping[str, Any], header: str = "") -> str:
    """Commented YAML for `data` (a nested profile dict), keys in the contract's order."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]

    def section(model: type[BaseModel], values: Mapping[str, Any], indent: str) -> None:
        for name, info in model.model_fields.items():
            if name not in values:
                continue
            value = values[name]
            nested = section_model(info.annotation)
            if info.description and nested is None:
                lines.append(f"{indent}# {info.description}")
            if nested is not None and isinstance(value, Mapping):
                lines.append(f"{indent}{name}:")
                section(nested, value, indent + "  ")
            else:
                lines.append(f"{indent}{name}: {_scalar(value)}")

    section(Profile, data, "")
    return "\n".join(lines) + "\n"
