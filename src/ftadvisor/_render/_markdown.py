"""Markdown for pull-request comments and CI step summaries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

from .._result import LADDER
from . import Report
from ._common import ICONS, SEVERITY_ICONS, change_text, failure_summary

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-!|~])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def _one(report: Report) -> str:
    a = report.assessment
    step = a.next_step
    lines = [
        f"### ftadvisor · {_escape(a.name)}",
        "",
        f"**Next step: {_escape(step.title)}** (`{step.id}`)",
        "",
        f"Failure mode: **{a.failure_mode}** ({failure_summary(a)})"
        + (f" · profile `{report.source}`" if report.source else ""),
        "",
        "**Why**",
        "",
        *(f"- {_escape(r.text)} — *{_escape(r.source)}*" for r in step.reasons),
        "",
        "**The ladder**",
        "",
        "| | Rung | Status |",
        "|---|---|---|",
    ]
    for i, rung in enumerate(a.roadmap, start=1):
        title = f"**{_escape(rung.title)}**" if rung.status == "next" else _escape(rung.title)
        lines.append(f"| {ICONS[rung.status]} | {i}. {title} | {rung.status.replace('_', ' ')} |")
    if a.findings:
        lines += ["", "**Findings**", ""]
        for f in a.findings:
            line = report.line_of(f.key)
            where = f"`{f.key}`" + (f" (line {line})" if line else "") + ": " if f.key else ""
            lines.append(
                f"- {SEVERITY_ICONS[f.severity]} {f.severity}: {where}{_escape(f.message)}"
            )
    if a.changes:
        lines += ["", "**What would change this advice**", ""]
        for c in a.changes:
            lines.append(f"- `{change_text(c)}` → `{c.next_step}`")
    v = a.versions
    lines += [
        "",
        f"<sub>ftadvisor {v.ftadvisor} · contract {v.contract} · rules {v.rules} · "
        f"{len(LADDER)} rungs</sub>",
        "",
    ]
    return "\n".join(lines)


def render(reports: Sequence[Report], out: TextIO) -> None:
    out.write("\n---\n\n".join(_one(r) for r in reports))
