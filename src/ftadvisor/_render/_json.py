"""The contract's JSON: one object per profile, an array for several."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from . import Report


def document(report: Report) -> dict[str, Any]:
    a = report.assessment
    step = a.next_step
    return {
        "profile": report.source,
        "name": a.name,
        "next_step": {
            "id": step.id,
            "title": step.title,
            "rationale": list(step.rationale),
            "sources": list(step.sources),
            "reasons": [r.model_dump() for r in step.reasons],
            "rule": step.rule,
        },
        "failure_mode": a.failure_mode,
        "failures": {
            "information": a.failures.information,
            "behavior": a.failures.behavior,
            "total": a.failures.total,
            "information_share": round(a.failures.share("information"), 4),
            "behavior_share": round(a.failures.share("behavior"), 4),
        },
        "roadmap": [{"id": r.id, "status": r.status, "title": r.title} for r in a.roadmap],
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "key": f.key,
                "line": report.line_of(f.key),
                "sources": list(dict.fromkeys(r.source for r in f.reasons)),
            }
            for f in a.findings
        ],
        "what_would_change": [
            {
                "next_step": c.next_step,
                "edits": [{"key": e.key, "from": e.before, "to": e.after} for e in c.edits],
            }
            for c in a.changes
        ],
        "versions": a.versions.model_dump(),
    }


def render(reports: Sequence[Report], out: TextIO) -> None:
    data: Any = document(reports[0]) if len(reports) == 1 else [document(r) for r in reports]
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")
