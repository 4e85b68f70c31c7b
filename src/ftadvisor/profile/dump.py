"""Writing a profile back as commented YAML that loads to the same profile."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ftadvisor.profile.model import Profile, section_model

_UNSAFE = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\x85\u2028\u2029]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"  # not stated
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
        # A JSON string is a YAML double-quoted string; YAML refuses some characters
        # JSON leaves raw (DEL, C1 controls) and reads NEL, LS and PS as line breaks.
        return _UNSAFE.sub(_escape, json.dumps(value, ensure_ascii=False))
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
