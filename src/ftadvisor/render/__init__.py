"""Renderers: one module per output format, behind one small interface.

The CLI maps a format name to a renderer and calls it; it knows nothing about any
format. Modules are imported on demand so that `--format json` never loads rich.
A renderer receives the reports as an iterable, so that a batch can be streamed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Protocol, TextIO

from ftadvisor.advice.pipeline import Report
from ftadvisor.rules.loader import RuleSet

__all__ = ["FORMATS", "Renderer", "Report", "renderer"]


class Renderer(Protocol):
    def __call__(
        self, reports: Iterable[Report], out: TextIO, *, batch: bool, rules: RuleSet
    ) -> None:
        """`batch`: several inputs (a list, not one object); `rules`: those that
        produced the assessments, which SARIF and JUnit describe."""


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
