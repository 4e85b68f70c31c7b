"""From a file to a validated `Profile`, with every problem located and explained."""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from ftadvisor.errors import Problem, ProfileError
from ftadvisor.inputs import Input, ProfileData, read
from ftadvisor.inputs.profile import from_text
from ftadvisor.profile.model import Profile, section_model
from ftadvisor.profile.yaml import Document, key_path


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and validate a profile file.

    Raises `ProfileError` listing every problem with its line and key path.
    """
    return to_profile(read(Input(os.fspath(path))))


def parse_profile(text: str, name: str = "<profile>") -> Profile:
    """Validate profile YAML given as text, named `name` in its problems."""
    return to_profile(from_text(text, name))


def to_profile(read: ProfileData) -> Profile:
    """Profile data checked against the contract: the step from a reader to the advisor."""
    document, source = read.document, read.name
    if not isinstance(document.data, dict):
        kind = (
            "a list"
            if isinstance(document.data, list)
            else f"a single value ({document.data!r:.40})"
        )
        raise ProfileError(
            [
                Problem(
                    f"a profile is a mapping of keys (version, name, …), not {kind}",
                    source,
                    document.line_of(()),
                )
            ]
        )
    try:
        return Profile.model_validate(document.data)
    except ValidationError as exc:
        raise ProfileError(_problems(exc, document, source)) from None


def _problems(exc: ValidationError, document: Document, source: str) -> list[Problem]:
    problems = []
    errors = _merge_choices(exc.errors(include_url=False))
    for error in errors:
        path = _data_path(error["loc"], document.data)
        problems.append(
            Problem(
                _explain(error, path, document),
                source,
                document.line_of(path),
                key_path(path) or None,
            )
        )
    problems.sort(key=lambda p: (p.line or 0, p.key or ""))
    return problems


def _merge_choices(errors: list[Any]) -> list[Any]:
    """One error per key for a choice split across union branches (the next-step ids
    are rungs or outcomes), listing every choice once."""
    merged: list[Any] = []
    by_key: dict[tuple[Any, ...], Any] = {}
    for error in errors:
        if error["type"] != "literal_error":
            merged.append(error)
            continue
        key = tuple(p for p in error["loc"] if not _schema_tag(p))
        first = by_key.get(key)
        if first is None:
            by_key[key] = error = {**error, "ctx": dict(error["ctx"])}
            merged.append(error)
        else:
            words = re.findall(r"'([^']*)'", first["ctx"]["expected"])
            words += re.findall(r"'([^']*)'", error["ctx"]["expected"])
            quoted = [f"'{w}'" for w in dict.fromkeys(words)]
            first["ctx"]["expected"] = ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return merged


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """The part of pydantic's error location that names keys in the document.

    Locations can carry schema tags (`function-before[...]`) between keys; a part is
    kept when the data has it, or when it is the last part (a missing key).
    """
    path: list[str | int] = []
    for i, part in enumerate(loc):
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            path.append(part)
            data = data[part]
        elif i == len(loc) - 1 and isinstance(part, int | str) and not _schema_tag(part):
            path.append(part)
    return tuple(path)


def _schema_tag(part: object) -> bool:
    """pydantic's names for the branches of a type (`literal['a','b']`, `int`), which are
    not keys of the document."""
    return isinstance(part, str) and ("[" in part or part in ("int", "str", "float", "bool"))


def _explain(error: Any, path: tuple[str | int, ...], document: Document) -> str:
    kind = error["type"]
    value = error.get("input")
    shown = _show(value)
    plain = document.plain_text.get(path)
    if kind == "extra_forbidden":
        import difflib  # only for profiles with problems

        known = _keys_at(path[:-1])
        close = difflib.get_close_matches(str(path[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"expected one of: {', '.join(known)}"
        if str(path[-1]).isdigit():
            hint = (
                "a comma inside `{...}` separates keys, so `1,500` reads as 1 and a key "
                "500; write numbers without thousands separators (1500)"
            )
        return f"unknown key; {hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        choices = error["ctx"]["expected"]
        words = re.findall(r"'([^']*)'", choices)
        if plain is not None:
            if plain in words:
                return f"YAML reads the unquoted `{plain}` as {_show(value)}; quote it: '{plain}'"
            shown = (
                f"`{plain}`, which YAML reads as {_show(value)}, not as a word "
                f"(to write such a word, quote it: '{plain}')"
            )
        import difflib

        close = difflib.get_close_matches(plain or str(value), words, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"expected one of {choices}, got {shown}{hint}"
    if kind == "string_type" and plain is not None:
        kind_read = type(value).__name__
        return f"expected text; YAML reads `{plain}` as {kind_read}: quote it, e.g. '{plain}'"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a section of keys, got {shown}"
    messages = {
        "bool_type": "expected true or false",
        "int_type": "expected a whole number",
        "float_type": "expected a number",
        "string_type": "expected text",
        "finite_number": "expected a finite number",
        "greater_than_equal": f"expected a number ≥ {error.get('ctx', {}).get('ge')}",
        "greater_than": f"expected a number > {error.get('ctx', {}).get('gt')}",
        "less_than_equal": f"expected a number ≤ {_number(error.get('ctx', {}).get('le'))}",
        "string_too_short": "must not be empty",
    }
    if kind in messages:
        return f"{messages[kind]}, got {shown}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a section of keys"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _keys_at(path: tuple[str | int, ...]) -> list[str]:
    """Field names of the model section at `path`, for "did you mean" hints."""
    model: type[BaseModel] | None = Profile
    for part in path:
        field = model.model_fields.get(str(part)) if model else None
        model = section_model(field.annotation) if field else None
    return list(model.model_fields) if model else []
