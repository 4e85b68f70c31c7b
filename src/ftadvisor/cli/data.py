"""`ftadvisor data`: what a training file holds and how much of it is usable."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer


def data(
    path: Annotated[Path, typer.Argument(metavar="TRAIN.jsonl", help="The training file.")],
    eval_path: Annotated[
        Path | None,
        typer.Option("--eval", metavar="EVAL.jsonl", help="The evaluation set, to find leaks."),
    ] = None,
    tokenizer: Annotated[
        Path | None,
        typer.Option(
            "--tokenizer",
            metavar="tokenizer.json",
            help="Exact token counts (needs the tokenizers extra); else characters ÷ 4.",
        ),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option("--max-tokens", min=1, metavar="N", help="Examples longer are not usable."),
    ] = None,
    output_format: Annotated[Literal["text", "json"], typer.Option("--format", "-f")] = "text",
) -> None:
    """Check a training file (chat, prompt/completion, text, Alpaca, ShareGPT JSONL)."""
    from ftadvisor.inputs.training import MAX_INDEXED, inspect_file

    report = inspect_file(path, eval_path=eval_path, max_tokens=max_tokens, tokenizer=tokenizer)
    doc = report.document()
    if output_format == "json":
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    lines = [
        f"{doc['path']}: {doc['format'] or 'no format recognised'} · {doc['records']:,} "
        f"records · {doc['usable']:,} usable",
    ]
    for kind, count in doc["problems"].items():
        if count:
            at = ", ".join(map(str, doc["problem_lines"].get(kind, [])))
            lines.append(
                f"  {kind.replace('_', ' ')}: {count:,} (lines {at}{', …' if count > 5 else ''})"
            )
    tokens = doc["tokens"]
    if tokens:
        lines.append(
            f"tokens ({tokens['method']}): p50 {tokens['p50']:,} · p95 {tokens['p95']:,} · "
            f"max {tokens['max']:,} · total {tokens['total']:,}; sequence length for the "
            f"plan: {doc['seq_len']:,}"
        )
    if report.unindexed:
        lines.append(
            f"near duplicates were searched among the first {MAX_INDEXED:,} distinct "
            f"examples; {report.unindexed:,} later ones were checked against those only"
        )
    if doc["labels"]:
        shown = ", ".join(f"{k!r} {v:,}" for k, v in list(doc["labels"].items())[:8])
        lines.append(f"labels: {shown}")
    typer.echo("\n".join(lines))
