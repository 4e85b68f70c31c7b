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
from ftadvisor.plan.memory import (  # noqa: E402
    GB,
    Settings,
    estimate,
    napkin_gradients_and_states_bytes,
    napkin_inference_bytes,
)


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
            loss=run.get("loss", "hf"),
            adapter_precision=run.get("adapter_precision", "fp32"),
            optimizer_impl=run.get("optimizer_impl"),
            new_tokens=run.get("new_tokens", 0),
            framework=run.get("framework", "hf"),
            lora_dropout=run.get("lora_dropout", 0.0),
        )
        arch = preset(run["model"])
        est = estimate(arch, settings)
        tensors = est.tensor_bytes / GB
        error = (tensors - run["reported_gb"]) / run["reported_gb"]
        # The chapter's napkin: weights at 2 bytes (0.5 in 4-bit) plus a gradient and the
        # optimizer's states per trainable parameter at 2 bytes; no activations.
        weight_bytes = 0.5 if run["method"] == "qlora" else 2
        napkin = napkin_inference_bytes(est.params, weight_bytes) / 1.2 / GB
        if run["method"] != "inference":
            napkin += (
                napkin_gradients_and_states_bytes(est.trainable_params, settings.optimizer, 2) / GB
            )
        rows.append(
            (run["model"], run["method"], run["batch"], tensors, napkin, run["reported_gb"], error)
        )
    print(
        f"{'model':<14} {'method':<9} {'batch':>5} {'estimate GB':>12} {'napkin GB':>10} "
        f"{'reported GB':>12} {'error':>7}"
    )
    for model, method, batch, est_gb, napkin, reported, error in rows:
        print(
            f"{model:<14} {method:<9} {batch:>5} {est_gb:12.2f} {napkin:10.2f} "
            f"{reported:12.2f} {error:+7.1%}"
        )

    def median(kinds: tuple[str, ...]) -> str:
        errors = [abs(r[6]) for r in rows if r[1] in kinds]
        return f"{statistics.median(errors):.1%} over {len(errors)}"

    print(
        f"median absolute error: {median(('lora', 'qlora', 'inference'))} runs; "
        f"training {median(('lora', 'qlora'))}, LoRA {median(('lora',))}, "
        f"QLoRA {median(('qlora',))}, inference {median(('inference',))}"
    )


if __name__ == "__main__":
    main()
