"""The terminal report: where you are on the ladder, the one next step, and why.

Laid out for a five-second read (see the report sketch): the step first, then the
reasons with their sources, the ladder, findings, and what would change the advice.
rich drops colour by itself when stdout is not a terminal or NO_COLOR is set.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TextIO

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ftadvisor.advice.pipeline import Report
from ftadvisor.advice.results import Assessment, Finding
from ftadvisor.errors import printable
from ftadvisor.plan.results import METHOD_NAMES, Plan, sci
from ftadvisor.render.common import (
    ICONS,
    SEVERITY_ICONS,
    assumption_value,
    change_text,
    failure_summary,
    listed_findings,
)
from ftadvisor.rules.loader import RuleSet

_STATUS_STYLE = {"done": "green", "next": "bold reverse cyan", "later": "", "not_needed": "dim"}
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "blue"}


def _heading(text: str) -> Text:
    return Text(f"\n{text}", style="bold")


def _bullets() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    return table


def _plan_lines(plan: Plan, details: bool) -> list[Text | Table]:
    lines: list[Text | Table] = []
    h = plan.hyperparameters
    memory = plan.memory
    adapters = f" {METHOD_NAMES[plan.method]} r={plan.lora.rank} on {','.join(plan.lora.targets)}"
    if memory is not None:
        summary = Text(f"{adapters} · {memory.model} · est. {memory.total_gb:.1f} GB")
        if memory.gpu_memory_gb:
            gpu = memory.gpu_memory_gb
            used = min(1.0, memory.total_gb / (gpu * 1.073741824))
            summary.append(f" of {memory.gpus} × {gpu:g} GB  ")
            summary.append(
                "█" * round(20 * used) + "░" * (20 - round(20 * used)),
                style="green" if memory.fits else "red",
            )
            summary.append(
                "  fits" if memory.fits else "  does not fit",
                style="green" if memory.fits else "bold red",
            )
        lines.append(summary)
    else:
        lines.append(Text(adapters))
    lines.append(
        Text(
            f" lr {sci(h.learning_rate)} · batch {h.effective_batch} "
            f"({h.micro_batch} × {h.gradient_accumulation} accumulation) · "
            f"{h.epochs} epochs · {plan.path} path"
        )
    )
    items = _bullets()
    shown = [i for i in plan.items if details or not i.detail]
    for item in shown:
        items.add_row(" •", Text.assemble(item.text, (f"  [{item.source}]", "dim italic")))
    if shown:
        lines.append(items)
    if details:
        lines.append(Text(" assumes: " + plan.assumptions[0], style="dim"))
    return lines


def _headline(a: Assessment, finding: Finding) -> bool:
    """Whether the short report lists a finding: warnings and errors, except the
    readiness gaps when closing them is the next step (the Why list names each)."""
    if finding.severity == "info":
        return False
    return not (
        a.next_step.id == "prepare_finetune" and finding.rule.startswith("finding.readiness-")
    )


def _intent_note(a: Assessment) -> str:
    """The planned step against the advice, without the reason the Why list gives."""
    assert a.intent is not None
    step = a.next_step.id
    if a.intent.id == step:
        return "the advised next step"
    if a.intent.premature:
        return f"{step} comes first"
    return f"the advised next step is {step}"


def _report(report: Report, details: bool = False) -> Group:
    a = report.assessment
    assert a is not None
    step = a.next_step
    parts: list[Text | Table | Padding] = []

    head = Table.grid(expand=True)
    head.add_column()
    head.add_column(justify="right", style="dim")
    head.add_row(
        Text.assemble(("ftadvisor", "bold"), " · ", printable(a.name)),
        f"profile: {printable(report.name)}" if report.name else "",
    )
    parts.append(head)

    nxt = Table.grid(expand=True, padding=(0, 1))
    nxt.add_column(no_wrap=True)
    nxt.add_column(ratio=1)
    nxt.add_column(justify="right", style="dim", no_wrap=True)
    nxt.add_row(
        Text(" NEXT STEP ", style="bold reverse cyan"),
        Text(step.title, style="bold"),
        f"[{step.id}]",
    )
    parts.append(Text())
    parts.append(nxt)
    parts.append(Text(f"Failure mode: {a.failure_mode} — {failure_summary(a)}", style="dim"))
    if step.then is not None:
        parts.append(
            Text.assemble(
                "Then: ",
                (step.then.title, "bold"),
                f" [{step.then.id}]",
                f" — {step.then.because}" if step.then.because else "",
            )
        )
    if a.assumptions:
        assumed = _bullets()
        for x in a.assumptions:
            assumed.add_row(
                Text(f" {SEVERITY_ICONS['warning']}", style="yellow"),
                Text.assemble(
                    (x.key, "bold"),
                    f" not stated, taken as {assumption_value(x)}; otherwise ",
                    (x.if_not, "bold"),
                ),
            )
        parts.append(Text("Assumes (not stated in the profile)", style="bold"))
        parts.append(assumed)
    if a.intent is not None:
        style = "bold red" if a.intent.premature else "green"
        mark = "✖ premature" if a.intent.premature else "✔"
        parts.append(
            Text.assemble(
                "Planned next: ",
                (a.intent.id, "bold"),
                " ",
                (mark, style),
                f" — {_intent_note(a)}",
            )
        )

    parts.append(_heading("Why"))
    why = _bullets()
    for reason in step.reasons:
        why.add_row(" •", Text.assemble(reason.text, (f"  [{reason.source}]", "dim italic")))
    parts.append(why)

    parts.append(_heading("The ladder"))
    ladder = Text(" ")
    for i, rung in enumerate(a.roadmap):
        if i:
            ladder.append(" ─ ", style="dim")
        label = rung.label.upper() if rung.status == "next" else rung.label
        # Non-breaking spaces keep each rung whole when the line wraps.
        ladder.append(
            f"{ICONS[rung.status]} {label}".replace(" ", "\u00a0"), style=_STATUS_STYLE[rung.status]
        )
    parts.append(ladder)
    parts.append(Text(" ✔ done  ▶ next  ○ later  · not needed", style="dim"))

    if a.plan is not None:
        hidden = 0 if details else sum(i.detail for i in a.plan.items)
        heading = _heading("Plan")
        if hidden:
            heading.append(f"  {hidden} general tips: --details", style="dim")
        parts.append(heading)
        parts.extend(_plan_lines(a.plan, details))

    listed = [f for f in listed_findings(a) if details or _headline(a, f)]
    notes = len(listed_findings(a)) - len(listed)
    if listed or notes:
        parts.append(_heading("Findings"))
        findings = _bullets()
        for f in listed:
            line = report.line_of(f.key)
            where = f"{f.key}" + (f" (line {line})" if line else "") + ": " if f.key else ""
            findings.add_row(
                Text(f" {SEVERITY_ICONS[f.severity]}", _SEVERITY_STYLE[f.severity]),
                Text.assemble((where, "bold"), f.message),
            )
        parts.append(findings)
        if notes:
            noun = "note" if notes == 1 else "notes"
            parts.append(Text(f" {notes} more {noun}: --details", style="dim"))

    if a.changes:
        parts.append(_heading("What would change this advice"))
        changes = Table.grid(padding=(0, 1))
        changes.add_column(no_wrap=True)
        changes.add_column()
        changes.add_column(style="cyan", no_wrap=True)
        for c in a.changes:
            changes.add_row(" •", change_text(c), f"→ {c.next_step}")
        parts.append(changes)
    v = a.versions
    parts.append(
        Text(f"ftadvisor {v.ftadvisor} · contract {v.contract} · rules {v.rules}", style="dim")
    )
    return Group(*parts)


def _portfolio(reports: list[Report], width: int) -> Table:
    table = Table(
        title=f"ftadvisor · {len(reports)} profiles",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    # The three middle columns keep their width; names and paths share the rest and
    # are cut with an ellipsis, never broken mid-word across lines.
    free = max(16, width - _FIXED_COLUMNS)
    name_width, path_width = free * 2 // 5, free - free * 2 // 5
    table.add_column("Project", no_wrap=True)
    table.add_column("Failure mode", no_wrap=True)
    table.add_column("Next step", no_wrap=True)
    table.add_column("Findings", no_wrap=True)
    table.add_column("Profile", no_wrap=True)
    for r in reports:
        path = _cut(printable(r.name or ""), path_width)
        if r.assessment is None:
            table.add_row("", "", Text("✖ could not be read", style="bold red"), "", path)
            continue
        a = r.assessment
        warnings = sum(f.severity in ("error", "warning") for f in a.findings)
        step = Text(a.next_step.id, style="bold")
        if r.gate_failures:
            step.append(" ✖ gate", style="bold red")
        table.add_row(
            _cut(printable(a.name), name_width),
            a.failure_mode,
            step,
            f"{warnings} ⚠" if warnings else "",
            path,
        )
    return table


_FIXED_COLUMNS = 12 + 25 + 8 + 4 * 3
"""Failure mode, next step (with a gate mark), findings, and the gaps between columns."""


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def render(
    reports: Iterable[Report],
    out: TextIO,
    *,
    batch: bool,
    rules: RuleSet,
    details: bool = False,
) -> None:
    # Rich pads every table cell to the width; piped text keeps no trailing spaces.
    terminal = out.isatty() if hasattr(out, "isatty") else False
    target = out if terminal else io.StringIO()
    console = Console(
        file=target,
        highlight=False,
        markup=False,
        emoji=False,
        width=None if terminal else _width(out),
        color_system="auto" if terminal else None,
    )
    if batch:
        console.print(_portfolio(list(reports), console.width))
    else:
        for report in reports:
            if report.assessment is not None:
                console.print(_report(report, details))
    if not terminal:
        assert isinstance(target, io.StringIO)
        out.write("\n".join(line.rstrip() for line in target.getvalue().split("\n")))


def _width(out: TextIO) -> int:
    """The width rich would choose for this stream (COLUMNS, or 80), kept sane."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 80
    return min(max(columns, MIN_WIDTH), 500)


MIN_WIDTH = 40
"""Narrower than this, no report reads; COLUMNS=0 or 1 get this instead of a blank page."""
