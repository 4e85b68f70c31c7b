"""Renderers: one module per output format, behind one small interface.

The CLI maps a format name to a renderer and calls it; it knows nothing about any
format. Modules are imported on demand so that `--format json` never loads rich.
A renderer receives the reports as an iterable, so that a batch can be streamed.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Iterable
from typing import Literal, Protocol, TextIO

from ftadvisor.advice.pipeline import Report
from ftadvisor.rules.loader import RuleSet

__all__ = ["FORMATS", "Format", "Renderer", "Report", "renderer"]


class Renderer(Protocol):
    def __call__(
        self,
        reports: Iterable[Report],
        out: TextIO,
        *,
        batch: bool,
        rules: RuleSet,
        details: bool = False,
    ) -> None:
        """`batch`: several inputs (a list, not one object); `rules`: those that
        produced the assessments, which SARIF and JUnit describe; `details`: the plan's
        general advice too, in the formats that leave it out for a short read."""


Format = Literal["text", "json", "markdown", "github", "sarif", "junit"]
FORMATS: tuple[Format, ...] = typing.get_args(Format)
"""Every report format; each is the module of that name in this package."""


def renderer(name: Format) -> Renderer:
    if name not in FORMATS:
        raise ValueError(f"no such format: {name!r}")
    module = importlib.import_module(f"{__name__}.{name}")
    render: Renderer = module.render
    return render
