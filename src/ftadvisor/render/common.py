"""Wording shared by the human-readable formats."""

from __future__ import annotations

from typing import Any

from ftadvisor.advice.results import NOT_STATED, Assessment, Assumption, Change, Finding


def utf8(out: object) -> bool:
    """Whether a stream takes any character; JSON to one that does not is written with
    escapes (`\\u00e9`), so that no character is lost to a stand-in."""
    encoding = getattr(out, "encoding", None) or "utf-8"
    return encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf16", "utf32")


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


PRESENCE = 0.25
"""The share at which a failure mode is present (contract); shares shown never round
across it."""


def share_text(share: float, threshold: float = PRESENCE) -> str:
    """A percentage that stays on its side of the threshold: 24.7% is not "25%"."""
    for digits in (0, 1, 2):
        text = f"{share:.{digits}%}"
        shown = round(share * 100, digits) / 100
        if (shown >= threshold) == (share >= threshold):
            return text
    return f"{share:.3%}"


def failure_summary(assessment: Assessment) -> str:
    tally = assessment.failures
    if not tally.total:
        return "no failures tallied"
    parts = []
    for mode in ("information", "behavior"):
        count = getattr(tally, mode)
        if count:
            parts.append(f"{count} {mode} ({share_text(tally.share(mode))})")
    return f"{' and '.join(parts)} of {tally.total} reviewed"


def assumption_value(assumption: Assumption) -> str:
    if assumption.key == "resources.training_examples":
        return f"at least {assumption.assumed}"
    return value(assumption.assumed)


def listed_findings(assessment: Assessment) -> tuple[Finding, ...]:
    """The findings a human-readable report lists: the not-stated ones are shown as the
    assumptions under the next step instead."""
    return tuple(f for f in assessment.findings if f.rule != NOT_STATED)
