"""JUnit XML: a test suite per profile and a test case per rule checked.

Findings of severity error or warning are failures, info findings pass with their
message in system-out, a premature intent is a failure, an unreadable profile an
error. CI systems that read JUnit (Jenkins, GitLab, Azure) show them as tests.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TextIO

from ftadvisor.advice.pipeline import EVIDENCE, Report
from ftadvisor.advice.results import Finding
from ftadvisor.errors import printable
from ftadvisor.rules.loader import RuleSet


def _gated(severity: str, report: Report) -> bool:
    """Whether `--fail-on` makes a finding of this severity a failure; the others are
    reported as output, so that a green run's JUnit shows no failures."""
    fail_on = report.gates.fail_on
    return ("warning" in fail_on and severity in ("error", "warning")) or (
        "error" in fail_on and severity == "error"
    )


def _suite(report: Report, rules: RuleSet) -> ET.Element:
    suite = ET.Element("testsuite")
    cases: list[ET.Element] = []

    def case(name: str) -> ET.Element:
        element = ET.Element(
            "testcase", classname=f"ftadvisor.{suite.get('name')}", name=name, time="0"
        )
        if report.name:
            element.set("file", printable(report.name))
        cases.append(element)
        return element

    if report.assessment is None:
        suite.set("name", printable(report.name or "profile"))
        error = ET.SubElement(
            case("profile"),
            "error",
            type="invalid-profile",
            message=f"{len(report.problems)} problems",
        )
        error.text = "\n".join(printable(str(p)) for p in report.problems)
    else:
        a = report.assessment
        suite.set("name", printable(a.name))
        step = case("next-step")
        ET.SubElement(step, "system-out").text = (
            f"{a.next_step.id}: {a.next_step.title}\n" + "\n".join(a.next_step.rationale)
        )
        if a.intent is not None:
            intent = case("intent")
            if a.intent.premature and "premature" in report.gates.fail_on:
                ET.SubElement(
                    intent, "failure", type="premature", message=a.intent.message
                ).text = a.intent.message
            else:
                ET.SubElement(intent, "system-out").text = a.intent.message
        fired: dict[str, list[Finding]] = {}
        for f in a.findings:
            fired.setdefault(f.rule, []).append(f)
        if EVIDENCE in fired:
            ET.SubElement(case(EVIDENCE), "system-out").text = "\n".join(
                f.message for f in fired[EVIDENCE]
            )
        for rule in rules.findings:
            element = case(rule.id)
            found = fired.get(rule.id)
            if not found:
                continue
            # One test case per rule; a rule raised on several keys (not-stated) lists each.
            message = " ".join(f.message for f in found)
            if not _gated(found[0].severity, report):
                ET.SubElement(element, "system-out").text = message
            else:
                text = "\n".join(
                    f.message + (f" ({f.key}, line {report.line_of(f.key)})" if f.key else "")
                    for f in found
                )
                ET.SubElement(
                    element, "failure", type=found[0].severity, message=message
                ).text = text
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("errors", str(sum(c.find("error") is not None for c in cases)))
    suite.set("skipped", "0")
    suite.set("time", "0")
    suite.extend(cases)
    return suite


def render(
    reports: Iterable[Report],
    out: TextIO,
    *,
    batch: bool,
    rules: RuleSet,
    details: bool = False,
) -> None:
    root = ET.Element("testsuites", name="ftadvisor")
    root.extend(_suite(r, rules) for r in reports)
    for attribute in ("tests", "failures", "errors"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in root)))
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
