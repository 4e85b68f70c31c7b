"""Checks of the JSON document against ../shared/contract.md, shared by several tests."""

from __future__ import annotations

from typing import Any

RUNGS = [
    "define_evaluation",
    "improve_prompting",
    "add_examples",
    "rag_term",
    "rag_advanced",
    "try_stronger_model",
    "prepare_finetune",
    "finetune",
    "decompose_task",
]
STEPS = {*RUNGS, "review_failures", "no_change"}


def check_contract(doc: dict[str, Any]) -> None:
    assert {
        "profile",
        "next_step",
        "failure_mode",
        "roadmap",
        "assumptions",
        "findings",
        "versions",
    } <= set(doc)
    step = doc["next_step"]
    assert step["id"] in STEPS
    assert isinstance(step["title"], str) and step["title"]
    assert step["sources"], "every next step cites at least one source"
    assert step["rationale"]
    for line in step["rationale"]:
        assert any(line.endswith(f"[{source}]") for source in step["sources"]), line
    cited = {line[line.rindex("[") + 1 : -1] for line in step["rationale"]}
    assert cited == set(step["sources"])

    assert doc["failure_mode"] in {"information", "behavior", "mixed", "none"}
    assert [r["id"] for r in doc["roadmap"]] == RUNGS
    statuses = [r["status"] for r in doc["roadmap"]]
    assert set(statuses) <= {"done", "next", "later", "not_needed"}
    nexts = [r["id"] for r in doc["roadmap"] if r["status"] == "next"]
    if step["id"] in ("no_change", "review_failures"):
        assert nexts == []
        assert "later" not in statuses
    else:
        assert nexts == [step["id"]]
        position = RUNGS.index(step["id"])
        before = statuses[:position]
        if step["id"] == "decompose_task":
            # Rev 2: an early decompose goes ahead of rungs 6-8, which then show as later.
            early = {RUNGS.index(r) for r in ("try_stronger_model", "prepare_finetune", "finetune")}
            before = [s for i, s in enumerate(before) if not (i in early and s == "later")]
        assert set(before) <= {"done", "not_needed"}
        assert "next" not in statuses[position + 1 :]

    for assumption in doc["assumptions"]:
        assert {"key", "assumed", "if_not", "message"} <= set(assumption)
        assert assumption["if_not"] in STEPS and assumption["if_not"] != step["id"]
        assert any(
            f["key"] == assumption["key"] and f["severity"] == "warning" for f in doc["findings"]
        ), "each assumption raises a warning finding on its key"

    for finding in doc["findings"]:
        assert finding["severity"] in {"error", "warning", "info"}
        assert finding["rule"] and finding["message"]
        assert "key" in finding
    versions = doc["versions"]
    assert versions["contract"] == 1
    assert versions["ftadvisor"] and versions["rules"]
