"""Markdown for pull-request comments and CI step summaries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO

from ftadvisor.advice.pipeline import Report
from ftadvisor.advice.results import LADDER
from ftadvisor.errors import printable
from ftadvisor.plan.results import METHOD_NAMES, sci
from ftadvisor.render.common import (
    ICONS,
    SEVERITY_ICONS,
    assumption_value,
    change_text,
    failure_summary,
    listed_findings,
)
from ftadvisor.rules.loader import RuleSet

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-!|~])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", printable(text))


def _then_lines(report: Report) -> list[str]:
    assert report.assessment is not None
    then = report.assessment.next_step.then
    if then is None:
        return []
    because = f" — {_escape(then.because)}" if then.because else ""
    return [f"Then: **{_escape(then.title)}** (`{then.id}`){because}", ""]


def _assumption_lines(report: Report) -> list[str]:
    assert report.assessment is not None
    assumptions = report.assessment.assumptions
    if not assumptions:
        return []
    lines = ["**Assumes** (not stated in the profile)", ""]
    lines += [
        f"- {SEVERITY_ICONS['warning']} `{x.key}` taken as {_escape(assumption_value(x))}; "
        f"otherwise `{x.if_not}`"
        for x in assumptions
    ]
    return [*lines, ""]


def _one(report: Report, details: bool = False) -> str:
    a = report.assessment
    assert a is not None
    step = a.next_step
    lines = [
        f"### ftadvisor · {_escape(a.name)}",
        "",
        f"**Next step: {_escape(step.title)}** (`{step.id}`)",
        "",
        f"Failure mode: **{a.failure_mode}** ({failure_summary(a)})"
        + (f" · profile `{printable(report.name)}`" if report.name else ""),
        "",
        *_then_lines(report),
        *_assumption_lines(report),
        *_intent_lines(report),
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
    if a.plan is not None:
        plan = a.plan
        h = plan.hyperparameters
        lines += ["", f"**Plan: {METHOD_NAMES[plan.method]}**", ""]
        if plan.memory is not None:
            m = plan.memory
            fit = "" if m.fits is None else (" — fits" if m.fits else " — does not fit")
            gpu = f" of {m.gpus} × {m.gpu_memory_gb:g} GB" if m.gpu_memory_gb else ""
            lines.append(f"- {m.model}: est. {m.total_gb:.1f} GB{gpu}{fit}")
        lines.append(
            f"- lr {sci(h.learning_rate)}, batch {h.effective_batch} "
            f"({h.micro_batch} × {h.gradient_accumulation}), {h.epochs} epochs, "
            f"{plan.path} path"
        )
        lines += [
            f"- {_escape(i.text)} — *{_escape(i.source)}*"
            for i in plan.items
            if details or not i.detail
        ]

    findings = listed_findings(a)
    if findings:
        lines += ["", "**Findings**", ""]
        for f in findings:
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


def _intent_lines(report: Report) -> list[str]:
    intent = report.assessment.intent if report.assessment else None
    if intent is None:
        return []
    mark = "⚠️ premature" if intent.premature else "✔"
    return [f"Planned next: `{intent.id}` — {mark}: {_escape(intent.message)}", ""]


STEP_SUMMARY_LIMIT = 1_000_000
"""GitHub rejects job summaries over 1 MiB; batches are cut to stay under it."""


def _portfolio(reports: list[Report]) -> list[str]:
    rows = [
        f"### ftadvisor · {len(reports)} profiles",
        "",
        "| Project | Profile | Failure mode | Next step | Findings |",
        "|---|---|---|---|---|",
    ]
    for r in reports:
        source = f"`{r.name}`" if r.name else ""
        if r.assessment is None:
            rows.append(f"| | {source} | | ✖ could not be read ({len(r.problems)} problems) | |")
            continue
        a = r.assessment
        counts = ", ".join(
            f"{sum(f.severity == s for f in a.findings)} {s}"
            for s in ("error", "warning")
            if any(f.severity == s for f in a.findings)
        )
        gate = " ✖ gate failed" if r.gate_failures else ""
        rows.append(
            f"| {_escape(a.name)} | {source} | {a.failure_mode} | `{a.next_step.id}`{gate} "
            f"| {counts} |"
        )
    return rows


def _problems(report: Report) -> str:
    lines = [f"#### ✖ `{printable(report.name or '')}` could not be read", ""]
    lines += [
        f"- line {p.line or '?'}: `{printable(p.key or '(file)')}`: {_escape(p.message)}"
        for p in report.problems
    ]
    return "\n".join(lines) + "\n"


def render(
    reports: Iterable[Report],
    out: TextIO,
    *,
    batch: bool,
    rules: RuleSet,
    details: bool = False,
) -> None:
    items = list(reports)
    if not batch:
        out.write("".join(_one(r, details) for r in items if r.assessment is not None))
        return
    head = "\n".join(_portfolio(items)) + "\n\n"
    sections = [
        f"<details><summary>{_escape(r.assessment.name)}: {r.assessment.next_step.id}</summary>"
        f"\n\n{_one(r, details)}\n</details>\n\n"
        if r.assessment is not None
        else _problems(r) + "\n"
        for r in items
    ]
    size = len(head.encode())
    kept = []
    for part in sections:
        if size + len(part.encode()) > STEP_SUMMARY_LIMIT - 200:
            break
        kept.append(part)
        size += len(part.encode())
    if len(head.encode()) > STEP_SUMMARY_LIMIT - 200:
        head = head.encode()[: STEP_SUMMARY_LIMIT - 400].decode(errors="ignore")
        head = head[: head.rfind("\n") + 1]
    out.write(head + "".join(kept))
    if len(kept) < len(sections):
        out.write(
            f"_Details of {len(sections) - len(kept)} more profiles were left out to stay under "
            "the 1 MiB step-summary limit; `--format json` has them all._\n"
        )
