"""The rules reference (docs/rules.md), generated from the rule files.

Thresholds and rationale live in the rules only; this renders them for readers and a
test fails when the committed reference drifts. Regenerate with
`python -m ftadvisor.rules.docs > docs/rules.md`.
"""

from __future__ import annotations

from ftadvisor.rules import conditions as cond
from ftadvisor.rules.loader import (
    FactFile,
    FindingFile,
    OutcomeFile,
    Rule,
    RuleSet,
    RungFile,
    packaged_rules,
)


def _rule(rule: Rule, rules: RuleSet) -> list[str]:
    spec = rule.spec
    lines = [f"### `{spec.id}`", "", spec.summary, ""]
    if isinstance(spec, FactFile):
        lines.append(f"- fact `{spec.fact}` holds when: {cond.describe(rule.conditions['when'])}")
    elif isinstance(spec, RungFile):
        lines += [
            f"- next step `{spec.step}`: {spec.title}",
            f"- applies when: {cond.describe(rule.conditions['applies'])}",
            f"- done when: {cond.describe(rule.conditions['done'])}",
        ]
    elif isinstance(spec, OutcomeFile):
        lines += [
            f"- next step `{spec.step}`: {spec.title}",
            f"- chosen, when no rung is pending, if: {cond.describe(rule.conditions['when'])}",
        ]
    else:
        assert isinstance(spec, FindingFile)
        key = f" on `{spec.key}`" if spec.key else ""
        lines += [
            f"- {spec.severity}{key} when: {cond.describe(rule.conditions['when'])}",
            f"- says: {' '.join(spec.message.split())}",
        ]
    if spec.notes:
        lines.append(f"- thresholds: {' '.join(spec.notes.split())}")
    lines.append("- why:")
    lines += [f"  - {r.text} [{r.source}]" for r in rule.reasons]
    lines.append(
        f"- examples: {len(spec.examples.fires)} that fire, "
        f"{len(spec.examples.does_not_fire)} that do not"
    )
    return [*lines, ""]


def reference(rules: RuleSet) -> str:
    out = [
        "# ftadvisor rules",
        "",
        "Generated from `rules/` by `python -m ftadvisor.rules.docs`; do not edit by hand.",
        f"Rules digest `{rules.digest}`.",
        "",
        "Conditions read profile keys (see the contract) and these derived fields:",
        "",
        *(f"- `{f.name}`: {f.description}" for f in cond.DERIVED_FIELDS),
        "",
    ]
    sections = (
        ("Rungs, in ladder order", rules.rungs),
        ("Outcomes (when no rung is pending)", rules.outcomes),
        ("Facts", rules.facts),
        ("Findings", rules.findings),
    )
    for title, group in sections:
        out += [f"## {title}", ""]
        for rule in group:
            out += _rule(rule, rules)
    out += ["## Sources", ""]
    out += [f"- `{key}`: {source.title}" for key, source in sorted(rules.sources.items())]
    return "\n".join(out) + "\n"


def _by_step_or_fact(rules: RuleSet, name: str) -> Rule | None:
    """The rule behind a step id as reports print it (`rag_term`), a fact name
    (`too_few_examples`) or an id without its kind (`rag-term`)."""
    for rule in (*rules.rungs, *rules.outcomes, *rules.facts, *rules.findings):
        spec = rule.spec
        names = {
            rule.id.partition(".")[2],
            getattr(spec, "step", None),
            getattr(spec, "fact", None),
        }
        if name in names or name.replace("_", "-") in names:
            return rule
    return None


def explain_rule(rule_id: str) -> str:
    """One rule for `ftadvisor explain`: the reference entry plus its examples."""
    import difflib
    import json

    from ftadvisor.errors import UserError

    rules = packaged_rules()
    rule = rules.by_id.get(rule_id) or _by_step_or_fact(rules, rule_id)
    if rule is None:
        close = difflib.get_close_matches(rule_id, rules.by_id, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown rule id {rule_id!r}{hint} (`ftadvisor rules` lists them)")
    lines = _rule(rule, rules)
    lines.append(f"- file: rules/{rule.path.relative_to(rules.directory).as_posix()}")
    for label, examples in (
        ("fires on", rule.spec.examples.fires),
        ("does not fire on", rule.spec.examples.does_not_fire),
    ):
        for example in examples:
            profile = json.dumps(example.profile, separators=(", ", ": "))
            lines.append(f"- {label} “{example.name}”: {profile}")
    return "\n".join(lines).replace("### ", "", 1)


if __name__ == "__main__":  # pragma: no cover
    print(reference(packaged_rules()), end="")
