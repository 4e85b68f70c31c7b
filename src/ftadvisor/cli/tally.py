"""`ftadvisor tally`: failures by kind, from evaluation results on disk. The options that
shape a reading are declared once here and shared with `assess --evals`."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from ftadvisor.inputs.evals import Kind, Tally

PANEL = "Reading results (--evals)"

MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="NAME=KIND",
        help="Class a check or label: information, behavior or ignore (repeatable; wins).",
        rich_help_panel=PANEL,
    ),
]
ThresholdOption = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        metavar="METRIC=VALUE",
        help="Ragas: a score below VALUE fails METRIC (default 0.5; repeatable).",
        rich_help_panel=PANEL,
    ),
]
ProviderOption = Annotated[
    str | None,
    typer.Option(
        "--provider",
        metavar="ID",
        help="promptfoo: count only this provider's rows (its id or label).",
        rich_help_panel=PANEL,
    ),
]
EvalIdOption = Annotated[
    str | None,
    typer.Option(
        "--eval-id",
        metavar="ID",
        help="promptfoo database: the eval to read (default: the latest).",
        rich_help_panel=PANEL,
    ),
]
LabelOption = Annotated[
    str | None,
    typer.Option(
        "--label-column",
        metavar="COL",
        help="Labelled sheet: the column naming the failure.",
        rich_help_panel=PANEL,
    ),
]
InputFormatOption = Annotated[
    Literal["promptfoo", "deepeval", "inspect", "ragas", "sheet"] | None,
    typer.Option(
        "--input-format",
        help="The results' format, when detection from the content is not wanted.",
        case_sensitive=False,
        rich_help_panel=PANEL,
    ),
]


def ask_on_terminal(name: str, failed: int) -> Kind | None:
    """One question per check that can fail either way; Enter or `skip` leaves it open."""
    from ftadvisor.inputs.evals import ANSWERS, question

    while True:
        sys.stderr.write(f"{question(name, failed)} [facts/form/skip] ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            return None
        if line.strip().lower() in ANSWERS:
            return ANSWERS[line.strip().lower()]
        sys.stderr.write("  answer facts, form or skip\n")


def can_ask() -> bool:
    """Questions about checks go to standard error, so standard output may be a file."""
    try:
        return os.isatty(0) and os.isatty(2)
    except OSError:
        return False


def counted(
    paths: list[str],
    *,
    mapping: list[str] | None,
    thresholds: list[str] | None,
    provider: str | None,
    eval_id: str | None,
    label_column: str | None,
    input_format: str | None,
    asking: bool,
) -> Tally:
    """The tally that the shared options describe, asking on a terminal when `asking`."""
    from ftadvisor.inputs.evals import Options, parse_map, parse_thresholds, tally

    options = Options(
        label_column=label_column,
        thresholds=parse_thresholds(thresholds or []),
        provider=provider,
        eval_id=eval_id,
    )
    return tally(
        paths,
        options=options,
        overrides=parse_map(mapping or []),
        input_format=input_format.lower() if input_format else None,  # type: ignore[arg-type]
        ask=ask_on_terminal if asking else None,
    )


def text(result: Tally) -> str:
    lines = [
        f"{s.path} ({s.format}): {s.tests:,} tests, {s.failed:,} failed" for s in result.inputs
    ]
    lines.append(
        f"failures: information {result.information:,} · behavior {result.behavior:,} · "
        f"unclassified {result.unclassified:,} · excluded {result.excluded:,}"
    )
    lines += [f"  {c.name or '(empty)'}: {c.failed:,} → {c.kind}" for c in result.checks]
    lines += [f"note: {note}" for note in result.notes]
    if result.unclassified:
        lines.append(
            "unclassified cases are left out; class their checks with "
            "--map NAME=information|behavior"
        )
    return "\n".join(lines)


def tally(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH...",
            help=(
                "Results: promptfoo (-o .json/.jsonl, or its promptfoo.db), DeepEval test "
                "runs, Inspect logs (.json, .eval), Ragas CSV, labelled CSV/TSV/JSONL sheets."
            ),
        ),
    ],
    mapping: MapOption = None,
    thresholds: ThresholdOption = None,
    provider: ProviderOption = None,
    eval_id: EvalIdOption = None,
    label_column: LabelOption = None,
    input_format: InputFormatOption = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never ask, even on a terminal.")
    ] = False,
    output_format: Annotated[
        Literal["text", "json"], typer.Option("--format", "-f", case_sensitive=False)
    ] = "text",
) -> None:
    """Tally failed test cases as information or behavior from evaluation results."""
    result = counted(
        paths,
        mapping=mapping,
        thresholds=thresholds,
        provider=provider,
        eval_id=eval_id,
        label_column=label_column,
        input_format=input_format,
        asking=not no_input and can_ask(),
    )
    if output_format.lower() == "json":
        sys.stdout.write(json.dumps(result.document(), indent=2, ensure_ascii=False) + "\n")
        return
    typer.echo(text(result))
