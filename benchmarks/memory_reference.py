"""The memory estimator against published measured peaks (benchmarks/memory_reference.yaml).

    python benchmarks/memory_reference.py

Prints the estimate, the reported peak and the relative error for each run, and the
median absolute error. Peaks measured with torch.cuda.max_memory_allocated exclude
the CUDA context and the allocator's cache, so ftadvisor's allowance for those is
left out of the comparison.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ftadvisor.plan.architecture import preset  # noqa: E402
from ftadvisor.plan.memory import GB, Settings, estimate  # noqa: E402


def main() -> None:
    runs = yaml.safe_load((ROOT / "benchmarks" / "memory_reference.yaml").read_text())
    rows = []
    for run in runs:
        settings = Settings(
            method=run["method"],
            precision=run["precision"],
            optimizer=run["optimizer"],
            batch=run["batch"],
            seq_len=run["seq_len"],
            rank=run.get("rank") or 16,
            targets=tuple(run.get("targets") or ("q", "k", "v", "o")),
            gradient_checkpointing=run["gradient_checkpointing"],
            attention=run["attention"],
            double_quant=run.get("double_quant", True),
        )
        est = estimate(preset(run["model"]), settings)
        tensors = sum(v for k, v in est.breakdown.items() if k != "overhead") / GB
        error = (tensors - run["reported_gb"]) / run["reported_gb"]
        rows.append((run["model"], run["method"], run["batch"], tensors, run["reported_gb"], error))
    print(
        f"{'model':<14} {'method':<6} {'batch':>5} {'estimate GB':>12} {'reported GB':>12} "
        f"{'error':>7}"
    )
    for model, method, batch, est_gb, reported, error in rows:
        print(f"{model:<14} {method:<6} {batch:>5} {est_gb:12.2f} {reported:12.2f} {error:+7.1%}")
    every = statistics.median(abs(r[5]) for r in rows)
    lora = statistics.median(abs(r[5]) for r in rows if r[1] == "lora")
    print(
        f"median absolute error: {every:.1%} over all {len(rows)} runs; "
        f"{lora:.1%} over the LoRA runs"
    )


if __name__ == "__main__":
    main()
