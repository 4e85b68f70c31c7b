"""Wording shared by the human-readable formats."""

from __future__ import annotations

from typing import Any

from ftadvisor.advice.results import Assessment, Change

ICONS = {"done": "✔", "next": "▶", "later": "○", "not_needed": "·"}
SEVERITY_ICONS = {"error": "✖", "warning": "⚠", "info": "ℹ"}


def value(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if v is None:
        return "unset"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def change_text(change: Change) -> str:
    """`resources.training_examples 150 → 300`, several edits joined with commas."""
    return ", ".join(f"{e.key} {value(e.before)} → {value(e.after)}" for e in change.edits)


def failure_summary(assessment: Assessment) -> str:
    tally = assessment.failures
    if not tally.total:
        return "no failures tallied"
    parts = []
    for mode in ("information", "behavior"):
        count = getattr(tally, mode)
        if count:
            parts.append(f"{count} {mode} ({tally.share(mode):.0%})")
    return f"{' and '.join(parts)} of {tally.total} reviewed"
