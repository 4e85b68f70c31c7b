"""The one pipeline, from inputs to reports: read → validate → assess → gate.

The command line, batch workers and embedding tools all run it; the CLI only parses
arguments, prints what the reports say on standard error and renders them. Everything
that decides an exit status — bad input, the `--fail-on` gates, `--soft-fail` — is here.

    from ftadvisor.advice.pipeline import Gates, Run
    run = Run(["a.yaml", "b.yaml"], Gates(fail_on=frozenset({"warning"})))
    for report in run:
        ...
    run.status                 # 0, 1 or 2, as the command would exit
"""

import dataclasses
import functools
from collections.abc import Iterable, Iterator
from typing import Literal

from ftadvisor.advice import batch
from ftadvisor.advice.engine import evaluate
from ftadvisor.advice.results import Assessment, Finding, Reason
from ftadvisor.errors import ExitCode, Problem, ProfileError, UserError
from ftadvisor.inputs import Input, ProfileData, read
from ftadvisor.profile.load import to_profile
from ftadvisor.profile.model import Profile
from ftadvisor.profile.yaml import Document
from ftadvisor.rules.loader import RuleSet, packaged_rules

Gate = Literal["premature", "error", "warning"]
GATES: tuple[Gate, ...] = ("premature", "error", "warning")
"""What `--fail-on` can insist on: a planned step that comes before its time, or
findings of a severity or worse."""


@dataclasses.dataclass(frozen=True, slots=True)
class Gates:
    """The policy gates a caller asked for (the contract's exit status 1)."""

    fail_on: frozenset[Gate] = frozenset()
    soft_fail: bool = False
    """Report failed gates, but never fail the run for them."""

    @classmethod
    def parse(cls, names: Iterable[str], soft_fail: bool = False) -> "Gates":
        """Gates named as on the command line (`--fail-on warning`)."""
        chosen: set[Gate] = set()
        for name in (n.strip() for given in names for n in given.split(",")):
            if name not in GATES:
                raise UserError(f"--fail-on {name!r}: expected one of {', '.join(GATES)}")
            chosen.add(name)
        return cls(frozenset(chosen), soft_fail)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """One input, through the pipeline: its assessment, or the problems that kept it
    from being assessed, and the gates it failed."""

    name: str | None
    """How reports name the input (a path as given, `<stdin>`); None for a profile that
    came from no file, such as an interactive session."""
    assessment: Assessment | None = None
    document: Document | None = None
    """Where the profile's keys are, for reports that cite lines."""
    problems: tuple[Problem, ...] = ()
    gate_failures: tuple[str, ...] = ()
    """Messages of the gates this profile failed."""
    status: ExitCode = ExitCode.OK
    diagnostics: tuple[str, ...] = ()
    """What a command line prints on standard error for this input."""
    gates: Gates = Gates()
    """The gates it was judged against: reports mark as failures only what they gate."""

    def line_of(self, key: str | None) -> int | None:
        if not key or self.document is None:
            return None
        return self.document.line_of(tuple(key.split(".")))


def report(
    source: Input,
    gates: Gates = Gates(),
    rules: RuleSet | None = None,
    evidence: tuple[ProfileData, ...] = (),
) -> Report:
    """One input through the whole pipeline; input problems become the report's, not an
    exception, so that a batch goes on past a broken file. `evidence` (read from
    training data, say) states keys too, and wins over what the profile states, except
    that a plan setting the profile states is kept."""
    try:
        read_data = read(source)
        replaced: tuple[tuple[str, str], ...] = ()
        if evidence:
            read_data, replaced = with_evidence(read_data, evidence)
        profile = to_profile(read_data)
    except ProfileError as exc:
        return Report(
            name=source.name,
            problems=exc.problems,
            status=ExitCode.BAD_INPUT,
            diagnostics=(exc.message,),
        )
    judged = judge(profile, gates, rules, name=source.name, document=read_data.document)
    if not replaced or judged.assessment is None:
        return judged
    notes = tuple(f"ftadvisor: {source.name}: {line}" for _, line in replaced)
    found = tuple(
        Finding(rule=EVIDENCE, severity="info", message=line, key=key, reasons=EVIDENCE_REASONS)
        for key, line in replaced
    )
    assessment = dataclasses.replace(
        judged.assessment, findings=(*judged.assessment.findings, *found)
    )
    return dataclasses.replace(
        judged, assessment=assessment, diagnostics=(*notes, *judged.diagnostics)
    )


EVIDENCE = "finding.evidence"
"""The finding raised, on the key, for each count that evidence on disk replaced."""
EVIDENCE_SUMMARY = "A count the profile states was replaced by one read from files on disk."
EVIDENCE_REASONS = (
    Reason(
        text=(
            "Decisions rest on measured failures and data rather than on impressions; a "
            "count read from the evaluation results or the training file wins over one "
            "typed from memory."
        ),
        source="huyen-2025",
    ),
)


KEPT_IF_STATED = (("training", "seq_len"),)
"""Keys evidence fills only when the profile leaves them out: the profile's own plan
settings are a choice, not a count."""


def with_evidence(
    profile: ProfileData, evidence: tuple[ProfileData, ...]
) -> tuple[ProfileData, tuple[tuple[str, str], ...]]:
    """The profile with the keys evidence states, and a line for each key the profile
    stated otherwise: the evidence wins, and the person should know their number was
    not used."""
    data = profile.document.data
    if not isinstance(data, dict):
        return profile, ()  # to_profile reports what is wrong with it
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    replaced = []
    for item in evidence:
        for section, values in item.document.data.items():
            target = merged.get(section)
            if not isinstance(target, dict):
                target = merged[section] = {}
            for key, value in values.items():
                stated = target.get(key)
                if stated is not None and (section, key) in KEPT_IF_STATED:
                    continue
                if stated is not None and stated != value:
                    replaced.append(
                        (
                            f"{section}.{key}",
                            f"{section}.{key}: {value} from {item.name} replaces the profile's "
                            f"{stated}",
                        )
                    )
                target[key] = value
    document = profile.document._replace(data=merged)
    return dataclasses.replace(profile, document=document), tuple(replaced)


def judge(
    profile: Profile,
    gates: Gates = Gates(),
    rules: RuleSet | None = None,
    *,
    name: str | None = None,
    document: Document | None = None,
) -> Report:
    """Assess a validated profile and apply the gates."""
    assessment = evaluate(rules or packaged_rules(), profile)
    where = Report(name=name, document=document, gates=gates, assessment=assessment)
    if "premature" in gates.fail_on and assessment.intent is None:
        problem = Problem(
            "--fail-on premature needs the profile to say what the team plans next: "
            "add `intent: <next-step id>` (e.g. intent: finetune)",
            name,
            where.line_of("name"),
            "intent",
        )
        return dataclasses.replace(
            where, problems=(problem,), status=ExitCode.BAD_INPUT, diagnostics=(str(problem),)
        )
    failed = _failed_gates(assessment, gates.fail_on)
    prefix = f"{name}: " if name else ""
    note = " (--soft-fail: not failing)" if gates.soft_fail else ""
    return dataclasses.replace(
        where,
        gate_failures=failed,
        status=ExitCode.GATE_FAILED if failed and not gates.soft_fail else ExitCode.OK,
        diagnostics=tuple(f"ftadvisor: {prefix}gate failed: {m}{note}" for m in failed),
    )


def _failed_gates(a: Assessment, fail_on: frozenset[Gate]) -> tuple[str, ...]:
    failed = []
    if "premature" in fail_on and a.intent is not None and a.intent.premature:
        failed.append(f"premature intent: {a.intent.message}")
    for level, severities in (("error", ("error",)), ("warning", ("error", "warning"))):
        hits = [f.rule for f in a.findings if f.severity in severities]
        if level in fail_on and hits:
            failed.append(f"{len(hits)} finding(s) at {level} or worse: {', '.join(hits)}")
    return tuple(failed)


class Run:
    """Reports for many inputs, in order, streamed; `status` is the worst so far (2 > 1 > 0),
    the exit status of the whole run once iterated.

    Large batches are assessed in worker processes (`jobs`: None picks one per CPU for
    batches of 256 or more, 0 keeps everything in this process); the reports are the same.
    """

    def __init__(
        self,
        sources: Iterable[str | Input],
        gates: Gates = Gates(),
        rules: RuleSet | None = None,
        jobs: int | None = None,
        evidence: tuple[ProfileData, ...] = (),
    ) -> None:
        """`evidence`: keys read from other inputs (training data), applied to every
        profile."""
        self.inputs = [s if isinstance(s, Input) else Input(s) for s in sources]
        self.gates = gates
        self.evidence = evidence
        self.rules = rules or packaged_rules()
        self.jobs = jobs if rules is None else 0  # workers assess with the packaged rules
        self.status = ExitCode.OK

    def __iter__(self) -> Iterator[Report]:
        local = any(i.is_stdin for i in self.inputs)
        processes = batch.workers(self.jobs, len(self.inputs), local_only=local)
        if processes == 0:
            work = functools.partial(
                _reports, gates=self.gates, rules=self.rules, evidence=self.evidence
            )
        else:  # workers assess with their own copy of the packaged rules
            work = functools.partial(_reports_to_send, gates=self.gates, evidence=self.evidence)
        for item in batch.ordered_map(work, self.inputs, processes):
            self.status = max(self.status, item.status)
            yield item


def _reports(
    inputs: list[Input],
    gates: Gates,
    rules: RuleSet | None = None,
    evidence: tuple[ProfileData, ...] = (),
) -> list[Report]:
    return [report(source, gates, rules, evidence) for source in inputs]


def _reports_to_send(
    inputs: list[Input], gates: Gates, evidence: tuple[ProfileData, ...] = ()
) -> list[Report]:
    # Pickling an assessment computes its changes and plan here, in the worker; of the
    # document only the line numbers are needed where the reports are rendered.
    return [
        dataclasses.replace(r, document=Document(None, r.document.lines, {}))
        if r.document is not None
        else r
        for r in _reports(inputs, gates, None, evidence)
    ]
