"""Writes `_bundle.json` from the packaged YAML: `python -m ftadvisor._bundlegen`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._bundle import BUNDLE, FORMAT, fingerprint


def packaged_files() -> list[Path]:
    """Every YAML file shipped with ftadvisor whose parse the bundle may hold."""
    from ._rules import rules_directory

    here = Path(__file__).parent
    return [
        *sorted(rules_directory().rglob("*.yaml")),
        here / "models.yaml",
        here / "questions.yaml",
    ]


def build(files: Iterable[Path]) -> str:
    """The bundle for `files`, as JSON text; deterministic, so a stale one shows in a diff."""
    from ._yaml import parse

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
    from ._files import write_atomic

    write_atomic(BUNDLE, build(packaged_files()))
    print(f"wrote {BUNDLE}")


if __name__ == "__main__":
    main()
