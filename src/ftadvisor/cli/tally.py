"""`ftadvisor tally`: failures by kind, from evaluation results on disk."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Literal

import typer


def tally(
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH...", help="Results sheets (.csv, .tsv, .jsonl).")
    ],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", metavar="NAME=KIND", help="Class a check: information, behavior or ignore."
        ),
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option("--label-column", metavar="COL", help="The column naming the failure."),
    ] = None,
    output_format: Annotated[Literal["text", "json"], typer.Option("--format", "-f")] = "text",
) -> None:
    """Tally failures as information or behavior from a labelled results sheet."""
    from ftadvisor.inputs.evals import parse_map
    from ftadvisor.inputs.evals import tally as count

    result = count(paths, label_column=label_column, overrides=parse_map(mapping or []))
    if output_format == "json":
        sys.stdout.write(json.dumps(result.document(), indent=2, ensure_ascii=False) + "\n")
        return
    lines = [f"{s.path}: {s.tests:,} tests, {s.failed:,} failed" for s in result.inputs]
    lines.append(
        f"failures: information {result.information:,} · behavior {result.behavior:,} · "
        f"unclassified {result.unclassified:,} · excluded {result.excluded:,}"
    )
    lines += [f"  {c.name or '(empty)'}: {c.failed:,} → {c.kind}" for c in result.checks]
    if result.unclassified:
        lines.append(
            "unclassified checks are left out; class them with --map NAME=information|behavior"
        )
    typer.echo("\n".join(lines))
