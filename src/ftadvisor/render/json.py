"""The contract's JSON: one object per profile, an array for several."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any, TextIO

from ftadvisor.advice.pipeline import Report
from ftadvisor.plan.results import Plan
from ftadvisor.render.common import utf8
from ftadvisor.rules.loader import RuleSet


def document(report: Report) -> dict[str, Any]:
    a = report.assessment
    assert a is not None
    step = a.next_step
    return {
        "profile": report.name,
        "name": a.name,
        "next_step": {
            "id": step.id,
            "title": step.title,
            "rationale": list(step.rationale),
            "sources": list(step.sources),
            "reasons": [{"text": r.text, "source": r.source} for r in step.reasons],
            "rule": step.rule,
            "then": (
                {"id": step.then.id, "title": step.then.title, "because": step.then.because}
                if step.then
                else None
            ),
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
        "assumptions": [
            {
                "key": x.key,
                "assumed": x.assumed,
                "if_not": x.if_not,
                "message": x.message,
                "line": report.line_of(x.key),
            }
            for x in a.assumptions
        ],
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
        "plan": _plan(a.plan),
        "intent": (
            {"id": a.intent.id, "premature": a.intent.premature, "message": a.intent.message}
            if a.intent
            else None
        ),
        "versions": {
            "ftadvisor": a.versions.ftadvisor,
            "contract": a.versions.contract,
            "rules": a.versions.rules,
        },
    }


def _plan(plan: Plan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "method": plan.method,
        "memory": None if plan.memory is None else dataclasses.asdict(plan.memory),
        "lora": {**dataclasses.asdict(plan.lora), "targets": list(plan.lora.targets)},
        "hyperparameters": dataclasses.asdict(plan.hyperparameters),
        "path": plan.path,
        "frameworks": list(plan.frameworks),
        "assumptions": list(plan.assumptions),
        "items": [
            {"topic": i.topic, "text": i.text, "source": i.source, "detail": i.detail}
            for i in plan.items
        ],
    }


def render(
    reports: Iterable[Report],
    out: TextIO,
    *,
    batch: bool,
    rules: RuleSet,
    details: bool = False,
) -> None:
    """One object for one profile; for a batch, an array streamed one object at a time.

    Profiles that could not be read are left out: their problems are on stderr and the
    exit status is 2.
    """
    readable = (r for r in reports if r.assessment is not None)
    if not batch:
        for report in readable:
            out.write(json.dumps(document(report), indent=2, ensure_ascii=not utf8(out)) + "\n")
        return
    # json.dumps, not json.dump: only the one-shot encoder is the C one (several times
    # faster), and a batch writes one object at a time anyway.
    out.write("[")
    for i, report in enumerate(readable):
        out.write(",\n" if i else "\n")
        out.write(json.dumps(document(report), ensure_ascii=not utf8(out)))
    out.write("\n]\n")
