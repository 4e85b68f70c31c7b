"""GitHub Actions workflow commands: annotations on the profile lines concerned.

GitHub's rules: in the message, `%`, CR and LF must be escaped; in properties
(file, title) also `:` and `,`. Unescaped, a newline ends the command and a comma in
a title starts a new property.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from ftadvisor.advice.pipeline import Report
from ftadvisor.errors import printable
from ftadvisor.rules.loader import RuleSet

_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, *, file: str | None, line: int | None, title: str) -> str:
    props = [f"file={escape_property(printable(file))}"] if file else []
    if file and line:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{level} {','.join(props)}::{escape_data(printable(message))}"


def _lines(report: Report) -> Iterable[str]:
    file = report.name if report.name and report.name != "<stdin>" else None
    if report.assessment is None:
        for p in report.problems:
            where = f"{p.key}: " if p.key else ""
            yield command(
                "error",
                where + p.message,
                file=file,
                line=p.line,
                title="ftadvisor: invalid profile",
            )
        return
    a = report.assessment
    step = a.next_step
    reason = step.reasons[0] if step.reasons else None
    message = f"{step.title}" + (f" — {reason.text} [{reason.source}]" if reason else "")
    yield command(
        "notice",
        message,
        file=file,
        line=report.line_of("name") or 1,
        title=f"ftadvisor next step: {step.id}",
    )
    if a.intent is not None and a.intent.premature:
        level = "error" if report.gate_failures else "warning"
        yield command(
            level,
            a.intent.message,
            file=file,
            line=report.line_of("intent"),
            title="ftadvisor: premature intent",
        )
    for f in a.findings:
        yield command(
            _LEVELS[f.severity],
            f.message,
            file=file,
            line=report.line_of(f.key),
            title=f"ftadvisor {f.rule}",
        )


def render(
    reports: Iterable[Report],
    out: TextIO,
    *,
    batch: bool,
    rules: RuleSet,
    details: bool = False,
) -> None:
    for report in reports:
        for line in _lines(report):
            out.write(line + "\n")
