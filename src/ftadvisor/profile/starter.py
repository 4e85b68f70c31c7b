"""`ftadvisor init`: a commented starter profile that editors can complete."""

from __future__ import annotations

from pathlib import Path

from ftadvisor.errors import UserError
from ftadvisor.files import write_atomic
from ftadvisor.profile.dump import dump_profile
from ftadvisor.profile.model import Profile, section_model
from ftadvisor.profile.schema import schema_text

SCHEMA_FILE = "ftadvisor.schema.json"

_HEADER = f"""yaml-language-server: $schema={SCHEMA_FILE}
ftadvisor profile: where this LLM application stands. Fill in what you know. A key
left null (or removed) is not stated: it is never read as "no", and the report says
what the advice assumed about it. Then run:
  ftadvisor assess --profile THIS_FILE
The schema beside this file lets editors complete and check the keys."""

_OPEN_SECTIONS = ("goal", "evaluation", "prompting", "failures", "needs", "resources")
"""Sections the starter lists key by key, each not stated yet."""


def starter_text(name: str) -> str:
    data = Profile.model_validate({"version": 1, "name": name}).model_dump(exclude_none=True)
    unstated: dict[str, object] = {"version": 1, "name": name}
    for key, info in Profile.model_fields.items():
        nested = section_model(info.annotation)
        if key in _OPEN_SECTIONS and nested is not None:
            unstated[key] = dict.fromkeys(nested.model_fields)
        elif key in ("retrieval", "finetuned"):
            unstated[key] = None
        elif key in data and key not in unstated:
            unstated[key] = data[key]
    return dump_profile(unstated, _HEADER)


def write_starter(path: Path, *, force: bool) -> list[Path]:
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a file name, e.g. {path / 'ftadvisor.yaml'}")
    schema = path.parent / SCHEMA_FILE
    if not force:
        for existing in (path, schema):
            if existing.exists() or existing.is_symlink():
                raise UserError(f"{existing} exists; pass --force to replace it")
    name = path.resolve().parent.name or "my-project"
    written = [write_atomic(path, starter_text(name))]
    written.append(write_atomic(schema, schema_text()))
    return written
