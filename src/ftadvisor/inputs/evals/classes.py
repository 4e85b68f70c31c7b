"""What a failed check counts as, by its name: the packaged map (`checks.yaml`, data with
its sources) under the user's `--map`."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Literal

from ftadvisor.errors import UserError

Kind = Literal["information", "behavior", "ignore", "ask"]
KINDS: tuple[Kind, ...] = ("information", "behavior", "ignore", "ask")
MAPPABLE: tuple[Kind, ...] = ("information", "behavior", "ignore")
"""What `--map` and an answer on a terminal may class a check as."""
_SEPARATORS = re.compile(r"[-\s.]+")


def key(name: str) -> str:
    """A check's name as the map matches it: lower case, `-`, ` ` and `.` as `_`."""
    return _SEPARATORS.sub("_", name.strip().lower())


@dataclasses.dataclass(frozen=True, slots=True)
class Classes:
    """Check names and what their failures count as; `passes`: labels of a passed case."""

    kinds: dict[str, Kind]
    passes: frozenset[str]

    @classmethod
    def packaged(cls, overrides: dict[str, Kind] | None = None) -> Classes:
        from ftadvisor.bundle import parsed

        path = Path(__file__).with_name("checks.yaml")
        data, _ = parsed(path.read_bytes(), str(path))
        kinds: dict[str, Kind] = {}
        for kind in KINDS:
            for name in data.get(kind, []):
                kinds[key(str(name))] = kind
        passes = frozenset(key(str(n)) for n in data.get("pass", []))
        return cls(kinds, passes).with_overrides(overrides or {})

    def with_overrides(self, overrides: dict[str, Kind]) -> Classes:
        keys = {key(name): kind for name, kind in overrides.items()}
        return Classes({**self.kinds, **keys}, self.passes - set(keys))

    def kind(self, name: str) -> Kind:
        """A negated check (`not-contains`) fails the way its positive one does."""
        found = key(name)
        if found in self.kinds:
            return self.kinds[found]
        return self.kinds.get(found.removeprefix("not_"), "ask")


ANSWERS: dict[str, Kind | None] = {
    "facts": "information",
    "f": "information",
    "form": "behavior",
    "b": "behavior",
    "skip": None,
    "s": None,
    "": None,
}
"""Answers to `question`, on a terminal; skipping leaves the check unclassified."""


def question(name: str, failed: int) -> str:
    """What is asked about a check that can fail either way (an `ask` entry)."""
    cases = "case" if failed == 1 else "cases"
    return (
        f"{failed:,} {cases} failed `{name}`: mostly wrong or missing facts, or right facts "
        "in the wrong form?"
    )


def parse_map(items: list[str]) -> dict[str, Kind]:
    """`--map NAME=KIND` entries, or a `UserError` naming the one that is wrong."""
    found: dict[str, Kind] = {}
    for item in items:
        name, _, kind = item.rpartition("=")
        if not name.strip() or kind not in MAPPABLE:
            raise UserError(
                f"--map {item!r}: expected NAME=information, NAME=behavior or NAME=ignore"
            )
        found[name] = kind
    return found
