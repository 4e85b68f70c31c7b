"""`ftadvisor init`: a commented starter profile that editors can complete."""

from __future__ import annotations

from pathlib import Path

from ftadvisor.errors import UserError
from ftadvisor.files import write_atomic
from ftadvisor.profile.dump import dump_profile
from ftadvisor.profile.model import Profile
from ftadvisor.profile.schema import schema_text

SCHEMA_FILE = "ftadvisor.schema.json"

_HEADER = f"""yaml-language-server: $schema={SCHEMA_FILE}
ftadvisor profile: where this LLM application stands. Fill in what you know; keys
you leave out take the defaults shown. Then run:
  ftadvisor assess --profile THIS_FILE
The schema beside this file lets editors complete and check the keys."""


def starter_text(name: str) -> str:
    data = Profile.model_validate({"version": 1, "name": name}).model_dump(exclude_none=True)
    return dump_profile(data, _HEADER)


def write_starter(path: Path, *, force: bool) -> list[Path]:
    if path.exists() and not force:
        raise UserError(f"{path} exists; pass --force to replace it")
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a file name, e.g. {path / 'ftadvisor.yaml'}")
    name = path.resolve().parent.name or "my-project"
    written = [write_atomic(path, starter_text(name))]
    written.append(write_atomic(path.parent / SCHEMA_FILE, schema_text()))
    return written
