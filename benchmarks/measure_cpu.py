"""Measure the peak memory of real training steps on CPU and compare with the estimate.

    pip install torch            # not a dependency of ftadvisor, nor of its CI
    python benchmarks/measure_cpu.py

Small randomly initialised Llama-shaped decoders (RMSNorm, grouped-query attention,
SwiGLU feed-forward, untied embeddings) are built in plain PyTorch and trained for two
AdamW steps in fp32, with full finetuning or LoRA on q, k, v, o. Each configuration
runs in a fresh process; "measured" is that process's peak resident memory minus its
resident memory just before the model was built. The estimate is ftadvisor's, for the
same architecture and settings, without the CUDA allowance (there is no CUDA here).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

SMALL = {
    "hidden_size": 512,
    "num_hidden_layers": 8,
    "intermediate_size": 1376,
    "num_attention_heads": 8,
    "num_key_value_heads": 8,
    "vocab_size": 8000,
}
WIDE_GQA = {
    "hidden_size": 1024,
    "num_hidden_layers": 6,
    "intermediate_size": 2816,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
    "vocab_size": 16000,
}
CONFIGS = [
    # name, architecture, method, batch, sequence length, attention
    ("full, sdpa", SMALL, "full", 4, 256, "sdpa"),
    ("full, eager", SMALL, "full", 4, 256, "eager"),
    ("LoRA r=16, sdpa", SMALL, "lora", 4, 256, "sdpa"),
    ("full, GQA, wider", WIDE_GQA, "full", 2, 512, "sdpa"),
    ("LoRA r=16, GQA, wider", WIDE_GQA, "lora", 2, 512, "sdpa"),
]


def _rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


def _child(spec: dict) -> None:  # pragma: no cover - runs in a subprocess
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(0)
    torch.set_num_threads(1)
    a = spec["arch"]
    h, heads, kv = a["hidden_size"], a["num_attention_heads"], a["num_key_value_heads"]
    hd = h // heads

    class LoRA(nn.Module):
        def __init__(self, base: nn.Linear, rank: int) -> None:
            super().__init__()
            self.base = base
            self.a = nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
            self.b = nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + (x @ self.a.T) @ self.b.T

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.n1, self.n2 = nn.RMSNorm(h), nn.RMSNorm(h)
            self.q, self.k = nn.Linear(h, h, bias=False), nn.Linear(h, kv * hd, bias=False)
            self.v, self.o = nn.Linear(h, kv * hd, bias=False), nn.Linear(h, h, bias=False)
            i = a["intermediate_size"]
            self.gate, self.up = nn.Linear(h, i, bias=False), nn.Linear(h, i, bias=False)
            self.down = nn.Linear(i, h, bias=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            b, s, _ = x.shape
            y = self.n1(x)
            q = self.q(y).view(b, s, heads, hd).transpose(1, 2)
            k = self.k(y).view(b, s, kv, hd).transpose(1, 2).repeat_interleave(heads // kv, 1)
            v = self.v(y).view(b, s, kv, hd).transpose(1, 2).repeat_interleave(heads // kv, 1)
            if spec["attention"] == "eager":
                scores = (q @ k.transpose(-1, -2)) / hd**0.5
                mask = torch.full((s, s), float("-inf")).triu(1)
                z = torch.softmax(scores + mask, dim=-1) @ v
            else:
                z = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.o(z.transpose(1, 2).reshape(b, s, h))
            y = self.n2(x)
            return x + self.down(F.silu(self.gate(y)) * self.up(y))

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(a["vocab_size"], h)
            self.layers = nn.ModuleList(Layer() for _ in range(a["num_hidden_layers"]))
            self.norm = nn.RMSNorm(h)
            self.head = nn.Linear(h, a["vocab_size"], bias=False)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            x = self.embed(ids)
            for layer in self.layers:
                x = layer(x)
            return self.head(self.norm(x))

    ids = torch.randint(0, a["vocab_size"], (spec["batch"], spec["seq_len"]))
    before = _rss_bytes()
    model = Model()
    if spec["method"] == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.layers:
            for name in ("q", "k", "v", "o"):
                setattr(layer, name, LoRA(getattr(layer, name), 16))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    for _ in range(2):
        logits = model(ids)
        loss = F.cross_entropy(
            logits[:, :-1].reshape(-1, a["vocab_size"]).float(), ids[:, 1:].reshape(-1)
        )
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"measured": peak - before, "trainable": sum(p.numel() for p in trainable)}))


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from ftadvisor.plan.architecture import Architecture
    from ftadvisor.plan.memory import Settings, estimate

    rows = []
    for name, arch, method, batch, seq_len, attention in CONFIGS:
        spec = {
            "arch": arch,
            "method": method,
            "batch": batch,
            "seq_len": seq_len,
            "attention": attention,
        }
        out = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(spec)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        measured = json.loads(out.strip().splitlines()[-1])
        est = estimate(
            Architecture(**arch),
            Settings(
                method=method,
                precision="fp32",
                optimizer="adamw",
                batch=batch,
                seq_len=seq_len,
                attention=attention,
                gradient_checkpointing=False,
                rank=16,
            ),
        )
        estimated = sum(v for k, v in est.breakdown.items() if k != "overhead")
        assert est.trainable_params == measured["trainable"], (est.trainable_params, measured)
        error = (estimated - measured["measured"]) / measured["measured"]
        rows.append((name, est.params, measured["measured"], estimated, error))
    print(
        f"{'configuration':<24} {'params':>8} {'measured MB':>12} {'estimate MB':>12} {'error':>7}"
    )
    for name, params, got, want, error in rows:
        print(f"{name:<24} {params / 1e6:7.1f}M {got / 1e6:12.1f} {want / 1e6:12.1f} {error:+7.1%}")
    errors = sorted(abs(r[4]) for r in rows)
    print(
        f"median absolute error {errors[len(errors) // 2]:.1%} over {len(rows)} runs "
        "(trainable-parameter counts match exactly)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]))
    else:
        main()
