"""Renderers: one module per output format, behind one small interface.

The CLI maps a format name to a renderer and calls it; it knows nothing about any
format. Modules are imported on demand so that `--format json` never loads rich.
A renderer receives the reports as an iterable, so that a batch can be streamed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import NamedTuple, Protocol, TextIO

from ftadvisor.advice.results import Assessment
from ftadvisor.errors import Problem
from ftadvisor.profile.yaml import Document


class Report(NamedTuple):
    """One profile: its assessment, or the problems that kept it from being assessed."""

    source: str | None
    assessment: Assessment | None = None
    document: Document | None = None
    """Where the profile's keys are, for reports that cite lines."""
    problems: tuple[Problem, ...] = ()
    gate_failures: tuple[str, ...] = ()
    """Messages of the policy gates (`--fail-on`) this profile failed."""

    def line_of(self, key: str | None) -> int | None:
        if not key or self.document is None:
            return None
        return self.document.line_of(tuple(key.split(".")))


class Renderer(Protocol):
    def __call__(self, reports: Iterable[Report], out: TextIO, *, batch: bool) -> None: ...


FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json",
    "markdown": "markdown",
    "github": "github",
    "sarif": "sarif",
    "junit": "junit",
}


def renderer(name: str) -> Renderer:
    module = importlib.import_module(f"{__name__}.{FORMATS[name]}")
    render: Renderer = module.render
    return render
