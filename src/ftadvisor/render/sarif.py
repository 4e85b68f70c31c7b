"""SARIF 2.1.0 for code-scanning dashboards, with rule metadata from the rule files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from ftadvisor._version import __version__
from ftadvisor.advice.pipeline import EVIDENCE, EVIDENCE_REASONS, EVIDENCE_SUMMARY, Report
from ftadvisor.render.common import utf8
from ftadvisor.rules.loader import FindingFile, RuleSet

_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
NEXT_STEP = "ftadvisor.next-step"
PREMATURE = "ftadvisor.premature-intent"
INVALID = "ftadvisor.invalid-profile"


def _rules(rules: RuleSet) -> list[dict[str, Any]]:
    out = [
        _rule(
            NEXT_STEP,
            "The next step ftadvisor advises for the profile.",
            "note",
            "Where the project stands on the adaptation ladder and what to do next.",
        ),
        _rule(
            PREMATURE,
            "The planned step (intent) comes before its time.",
            "error",
            "The profile's intent is later on the ladder than the advised next step, or "
            "not needed for this profile.",
        ),
        _rule(
            INVALID,
            "The profile cannot be used.",
            "error",
            "The profile is not valid YAML or does not follow the profile schema.",
        ),
    ]
    out.append(
        _rule(
            EVIDENCE,
            EVIDENCE_SUMMARY,
            _LEVELS["info"],
            " ".join(f"{r.text} [{r.source}]" for r in EVIDENCE_REASONS),
        )
    )
    for rule in rules.findings:
        spec = rule.spec
        assert isinstance(spec, FindingFile)
        why = " ".join(f"{r.text} [{r.source}]" for r in rule.reasons)
        entry = _rule(spec.id, spec.summary, _LEVELS[spec.severity], why)
        entry["properties"] = {"sources": sorted({r.source for r in rule.reasons})}
        out.append(entry)
    return out


def _rule(rule_id: str, summary: str, level: str, text: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": text},
        "help": {"text": text},
        "defaultConfiguration": {"level": level},
    }


def _location(source: str | None, line: int | None) -> list[dict[str, Any]]:
    if not source or source == "<stdin>":
        return []
    path = Path(source)
    uri = path.as_uri() if path.is_absolute() else path.as_posix()
    return [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": line or 1},
            }
        }
    ]


def _results(report: Report, index: dict[str, int]) -> Iterable[dict[str, Any]]:
    def result(rule_id: str, level: str, text: str, line: int | None) -> dict[str, Any]:
        return {
            "ruleId": rule_id,
            "ruleIndex": index[rule_id],
            "level": level,
            "message": {"text": text},
            "locations": _location(report.name, line),
        }

    if report.assessment is None:
        for p in report.problems:
            yield result(INVALID, "error", f"{p.key}: {p.message}" if p.key else p.message, p.line)
        return
    a = report.assessment
    step = a.next_step
    yield result(
        NEXT_STEP,
        "note",
        f"{a.name}: next step {step.id} — {step.title}. " + " ".join(step.rationale),
        report.line_of("name"),
    )
    if a.intent is not None and a.intent.premature:
        yield result(
            PREMATURE,
            "error" if report.gate_failures else "warning",
            a.intent.message,
            report.line_of("intent"),
        )
    for f in a.findings:
        yield result(f.rule, _LEVELS[f.severity], f.message, report.line_of(f.key))


def render(
    reports: Iterable[Report],
    out: TextIO,
    *,
    batch: bool,
    rules: RuleSet,
    details: bool = False,
) -> None:
    described = _rules(rules)
    index = {r["id"]: i for i, r in enumerate(described)}
    results = [res for report in reports for res in _results(report, index)]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ftadvisor",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": described,
                    }
                },
                "results": results,
            }
        ],
    }
    json.dump(log, out, indent=2, ensure_ascii=not utf8(out))
    out.write("\n")
