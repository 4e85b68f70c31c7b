"""Measure the peak memory of real training steps on CPU and compare with the estimate.

    python -m venv /tmp/measure && . /tmp/measure/bin/activate
    pip install torch==2.13.0 transformers peft    # none of them ftadvisor's dependencies
    python benchmarks/measure_cpu.py [--quick]

Each configuration runs in a fresh process: a randomly initialised decoder built by
transformers from a config (`AutoModelForCausalLM.from_config`, SDPA attention), LoRA
through PEFT where asked, PyTorch's AdamW (the for-loop path CPU tensors take), two
training steps on random tokens with the model's own loss. "Measured" is the process's
peak resident memory minus its resident memory just before the model is built, with
glibc told to return freed memory (`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536`):
without it, freed blocks stay resident and RSS runs 1.0-1.6x the tensor peak. That makes
the figure comparable with `torch.cuda.max_memory_allocated` on a GPU, which counts
tensors only; the estimate is ftadvisor's for the same shapes with `device="cpu"`, which
has no runtime allowance. The napkin column is the chapter's: weights, then a gradient
and two Adam states per trainable parameter, at the precision's bytes, no activations.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LLAMA = {  # untied embeddings, 32k vocabulary, grouped-query attention
    "model_type": "llama",
    "hidden_size": 512,
    "num_hidden_layers": 8,
    "intermediate_size": 1376,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}
QWEN2 = {  # tied embeddings, a large (151,936) vocabulary, q/k/v biases
    "model_type": "qwen2",
    "hidden_size": 512,
    "num_hidden_layers": 6,
    "intermediate_size": 1536,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
}
QV = ["q", "v"]
ALL = ["q", "k", "v", "o", "gate", "up", "down"]
CONFIGS = [
    # name, architecture, method, targets, dtype, checkpointing, batch, sequence length
    ("llama full fp32", LLAMA, "full", None, "fp32", False, 2, 512),
    ("llama full bf16", LLAMA, "full", None, "bf16", False, 2, 512),
    ("llama full bf16 ckpt", LLAMA, "full", None, "bf16", True, 4, 1024),
    ("llama lora-qv fp32", LLAMA, "lora", QV, "fp32", False, 2, 512),
    ("llama lora-qv bf16", LLAMA, "lora", QV, "bf16", False, 4, 256),
    ("llama lora-all bf16", LLAMA, "lora", ALL, "bf16", False, 2, 1024),
    ("llama lora-all bf16 ckpt", LLAMA, "lora", ALL, "bf16", True, 2, 2048),
    ("llama lora-all fp32 ckpt", LLAMA, "lora", ALL, "fp32", True, 1, 2048),
    ("qwen2 full fp32", QWEN2, "full", None, "fp32", False, 1, 512),
    ("qwen2 full bf16 ckpt", QWEN2, "full", None, "bf16", True, 2, 1024),
    ("qwen2 lora-qv bf16", QWEN2, "lora", QV, "bf16", False, 2, 512),
    ("qwen2 lora-all bf16", QWEN2, "lora", ALL, "bf16", False, 1, 1024),
    ("qwen2 lora-all bf16 ckpt", QWEN2, "lora", ALL, "bf16", True, 4, 512),
    ("qwen2 lora-qv fp32 ckpt", QWEN2, "lora", QV, "fp32", True, 1, 2048),
]
PEFT_NAMES = {
    "q": "q_proj",
    "k": "k_proj",
    "v": "v_proj",
    "o": "o_proj",
    "gate": "gate_proj",
    "up": "up_proj",
    "down": "down_proj",
}


def _rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


def _child(spec: dict) -> None:  # pragma: no cover - runs in a subprocess
    import torch
    import transformers

    torch.manual_seed(0)
    torch.set_num_threads(2)
    dtype = torch.float32 if spec["dtype"] == "fp32" else torch.bfloat16
    arch = dict(spec["arch"])
    model_type = arch.pop("model_type")
    config = transformers.AutoConfig.for_model(model_type, **arch)
    config._attn_implementation = "sdpa"
    baseline = _rss_bytes()
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype)
    if spec["checkpointing"]:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if spec["method"] == "lora":
        import peft

        lora = peft.LoraConfig(
            r=16,
            lora_alpha=32,
            lora_dropout=0.0,
            target_modules=[PEFT_NAMES[t] for t in spec["targets"]],
        )
        model = peft.get_peft_model(model, lora)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    batch, seq = spec["batch"], spec["seq_len"]
    for _ in range(2):
        ids = torch.randint(0, config.vocab_size, (batch, seq))
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        del loss
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "measured": peak - baseline,
                "params": sum(p.numel() for p in model.parameters()),
                "trainable": sum(p.numel() for p in trainable),
            }
        )
    )


def _estimate(spec: dict) -> tuple[float, float, int, int]:
    sys.path.insert(0, str(ROOT / "src"))
    from ftadvisor.plan.architecture import from_hf_config
    from ftadvisor.plan.memory import (
        Settings,
        estimate,
        napkin_gradients_and_states_bytes,
    )

    arch = from_hf_config(spec["arch"], spec["name"])
    settings = Settings(
        method=spec["method"],
        precision=spec["dtype"],
        optimizer="adamw",
        batch=spec["batch"],
        seq_len=spec["seq_len"],
        rank=16,
        targets=tuple(spec["targets"] or ("q", "v")),
        gradient_checkpointing=spec["checkpointing"],
        attention="sdpa",
        device="cpu",
        loss="hf",
    )
    est = estimate(arch, settings)
    width = 4 if spec["dtype"] == "fp32" else 2
    napkin = est.params * width + napkin_gradients_and_states_bytes(
        est.trainable_params, "adamw", width
    )
    return est.tensor_bytes, napkin, est.params, est.trainable_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first four only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    env = {**os.environ, "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"}
    rows = []
    print(
        f"{'configuration':<26} {'b':>2} {'seq':>5} {'params':>7} {'measured MB':>12} "
        f"{'estimate MB':>12} {'napkin MB':>10} {'error':>7}"
    )
    for name, arch, method, targets, dtype, ckpt, batch, seq in CONFIGS[
        : 4 if args.quick else None
    ]:
        spec = {
            "name": name,
            "arch": arch,
            "method": method,
            "targets": targets,
            "dtype": dtype,
            "checkpointing": ckpt,
            "batch": batch,
            "seq_len": seq,
        }
        done = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(spec)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        estimate, napkin, params, trainable = _estimate(spec)
        base = measured["params"] - (measured["trainable"] if method == "lora" else 0)
        if (params, trainable) != (base, measured["trainable"]):
            print(
                f"  counts differ: estimate {params:,}/{trainable:,}, "
                f"model {base:,}/{measured['trainable']:,}"
            )
        error = (estimate - measured["measured"]) / measured["measured"]
        rows.append(error)
        print(
            f"{name:<26} {batch:>2} {seq:>5} {params / 1e6:6.1f}M "
            f"{measured['measured'] / 1e6:12.1f} {estimate / 1e6:12.1f} "
            f"{napkin / 1e6:10.1f} {error:+7.1%}",
            flush=True,
        )
    print(
        f"median absolute error {statistics.median(abs(e) for e in rows):.1%} over "
        f"{len(rows)} runs (worst {max(rows, key=abs):+.1%})"
    )


if __name__ == "__main__":
    main()
