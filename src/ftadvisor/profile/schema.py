"""The profile's JSON Schema, published for editors (yaml-language-server: draft-07)."""

from __future__ import annotations

import json
from typing import Any

from ftadvisor.profile.model import _SECTIONS, Profile

DIALECT = "http://json-schema.org/draft-07/schema#"


def profile_schema() -> dict[str, Any]:
    """Pydantic's schema, made draft-07: `definitions` instead of `$defs`, and sections
    that may be left empty (`needs:`), since an empty section means its defaults."""
    schema = Profile.model_json_schema(ref_template="#/definitions/{model}")
    definitions = schema.pop("$defs", {})
    properties = schema["properties"]
    for name in _SECTIONS:
        prop = properties[name]
        if "$ref" in prop:
            ref = prop.pop("$ref")
            prop["anyOf"] = [{"$ref": ref}, {"type": "null"}]
    return {
        "$schema": DIALECT,
        **schema,
        "title": "ftadvisor profile (contract version 1)",
        "definitions": definitions,
    }


def schema_text() -> str:
    return json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n"
