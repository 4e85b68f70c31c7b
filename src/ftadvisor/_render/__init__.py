"""Renderers: one module per output format, behind one small interface.

The CLI maps a format name to a renderer and calls it; it knows nothing about any
format. Modules are imported on demand so that `--format json` never loads rich.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TextIO

from .._load import LoadedProfile
from .._result import Assessment


@dataclass(frozen=True, slots=True)
class Report:
    """One assessed profile, with its source so renderers can cite file and line."""

    assessment: Assessment
    loaded: LoadedProfile | None = None

    @property
    def source(self) -> str | None:
        return self.loaded.source if self.loaded else None

    def line_of(self, key: str | None) -> int | None:
        return self.loaded.line_of(key) if self.loaded else None


class Renderer(Protocol):
    def __call__(self, reports: Sequence[Report], out: TextIO) -> None: ...


FORMATS: dict[str, str] = {
    "text": "_text",
    "json": "_json",
    "markdown": "_markdown",
}


def renderer(name: str) -> Renderer:
    module = importlib.import_module(f"{__name__}.{FORMATS[name]}")
    render: Renderer = module.render
    return render
