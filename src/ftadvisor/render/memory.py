"""The `ftadvisor memory` table: one row and one bar per component."""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

_COMPONENTS = ("weights", "gradients", "optimizer", "activations", "overhead")


def render(doc: dict[str, Any], out: TextIO) -> None:
    console = Console(file=out, highlight=False, markup=False, emoji=False)
    model = doc["model"]
    head = Text.assemble(
        ("ftadvisor memory · ", "bold"),
        model["name"],
        " · ",
        doc["method"],
        " · ",
        doc["precision"],
    )
    console.print(head)
    console.print(
        Text(
            f"{model['params'] / 1e9:.2f}B parameters"
            + (
                f" ({doc['active_params'] / 1e9:.2f}B active per token)"
                if "active_params" in doc
                else ""
            )
            + f", {doc['trainable_params']:,} trainable"
            + (f" · {doc['gpus']} GPUs, sharding {doc['sharding']}" if doc["gpus"] > 1 else ""),
            style="dim",
        )
    )
    total = doc["total_gb"] or 1.0
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("component")
    table.add_column("GB", justify="right")
    table.add_column("", no_wrap=True)
    for name in _COMPONENTS:
        gb = doc["breakdown"][name]
        table.add_row(name, f"{gb:,.2f}", "█" * round(30 * gb / total))
    table.add_row(Text("total", style="bold"), Text(f"{doc['total_gb']:,.2f}", style="bold"), "")
    console.print(table)
    if doc["gpu_memory_gb"]:
        gpu = doc["gpu_memory_gb"]
        verdict = ("fits", "green") if doc["fits"] else ("does not fit", "bold red")
        console.print(
            Text.assemble(
                (verdict[0], verdict[1]),
                f" on {doc['gpus']} × {gpu:g} GB (headroom {doc['headroom_gb']:+,.2f} GB); "
                + (
                    f"largest batch {doc['largest_batch']:,}, largest sequence length "
                    f"{doc['largest_seq_len'] or 0:,}"
                    if doc["largest_batch"]
                    else "not even a batch of 1 fits"
                ),
            )
        )
        needed = doc.get("gpus_needed")
        if not doc["fits"]:
            console.print(
                f"GPUs of {gpu:g} GB needed: {needed['gpus']:,}"
                + (
                    " (tensor parallel)"
                    if doc["method"] == "inference"
                    else f" with sharding {needed['sharding']}"
                )
                if needed
                else f"no number of {gpu:g} GB GPUs fits without sharding the weights "
                "(--sharding fsdp or zero3)"
            )
    timed = doc.get("training_time")
    if timed:
        low, high = timed["gpu_hours"]
        cost = f", ${timed['cost'][0]:,.2f}–{timed['cost'][1]:,.2f}" if timed.get("cost") else ""
        wall = (
            f" ({timed['hours'][0]:,.1f}–{timed['hours'][1]:,.1f} h on {timed['gpus']} GPUs)"
            if timed["gpus"] > 1
            else ""
        )
        console.print(
            f"training time: {low:,.1f}–{high:,.1f} GPU hours on {timed['gpu_type']}{wall}{cost}"
            f" · {timed['tokens']:,} tokens, {timed['flops'][0]:.2e}–{timed['flops'][1]:.2e}"
            " FLOPs, "
            f"{timed['mfu'][0]:.0%}–{timed['mfu'][1]:.0%} of the card's peak"
        )
    smallest = doc["smallest_gpu"]
    console.print("smallest common GPU that fits: " + (smallest["name"] if smallest else "none"))
    console.print(Text("assumptions: " + "; ".join(doc["assumptions"]), style="dim"))
    console.print(Text(doc["unit"], style="dim"))
