"""Writes `bundle.json` from the packaged YAML: `python -m ftadvisor.bundle`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ftadvisor.bundle import BUNDLE, FORMAT, fingerprint


def packaged_files() -> list[Path]:
    """Every YAML file shipped with ftadvisor whose parse the bundle may hold."""
    from ftadvisor.rules.loader import rules_directory

    package = Path(__file__).resolve().parent.parent
    return [
        *sorted(rules_directory().rglob("*.yaml")),
        package / "plan" / "presets.yaml",
        package / "plan" / "families.yaml",
        package / "plan" / "gpus.yaml",
        package / "interview" / "questions.yaml",
        package / "inputs" / "evals" / "checks.yaml",
    ]


def build(files: Iterable[Path]) -> str:
    """The bundle for `files`, as JSON text; deterministic, so a stale one shows in a diff."""
    from ftadvisor.profile.yaml import parse

    entries: dict[str, Any] = {}
    for path in files:
        raw = path.read_bytes()
        data = parse(raw.decode("utf-8"), str(path)).data
        try:
            survives = json.loads(json.dumps(data)) == data
        except (TypeError, ValueError):
            survives = False
        if not survives:
            raise ValueError(f"{path}: its data does not survive a JSON round trip")
        entries[fingerprint(raw)] = data
    document = {"format": FORMAT, "entries": dict(sorted(entries.items()))}
    return json.dumps(document, ensure_ascii=False, indent=0) + "\n"


def main() -> None:
    from ftadvisor.files import write_atomic

    write_atomic(BUNDLE, build(packaged_files()))
    print(f"wrote {BUNDLE}")


if __name__ == "__main__":
    main()
