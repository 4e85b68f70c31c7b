"""What one LitGPT layer keeps for the backward pass, measured, against ftadvisor's term.

    pip install torch==2.13.0 litgpt==0.5.13
    python benchmarks/measure_litgpt.py

Builds LitGPT models (random weights, bf16 unless stated, on the CPU) of one and of two
layers, runs a forward pass under `torch.autograd.graph.saved_tensors_hooks`, and adds
up the distinct storages the graph keeps that are not parameters or buffers (a view
keeps its whole storage alive, so storages, not tensors, are counted). The difference
between the two models is one layer; divided by the tokens it is bytes per token,
shown in units of the hidden size h. The estimate is `--framework litgpt --device cpu`
(on the CPU a dropout mask is the size of the values; on CUDA it is a bool).

Not run by CI: it needs torch and litgpt, which ftadvisor does not depend on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from litgpt.lora import GPT, Config, mark_only_lora_as_trainable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ftadvisor.plan.architecture import Architecture  # noqa: E402
from ftadvisor.plan.memory import Settings, _layer_activations  # noqa: E402

TOKENS = 256
H, I, HEADS, VOCAB = 1024, 2816, 16, 32000

CASES: list[tuple[str, dict]] = [
    ("MHA, LoRA q,v, dropout 0.05", {"targets": ("q", "v"), "dropout": 0.05}),
    ("MHA, LoRA q,v, no dropout", {"targets": ("q", "v"), "dropout": 0.0}),
    ("GQA 4 groups, LoRA q,v, dropout 0.05", {"groups": 4, "targets": ("q", "v"), "dropout": 0.05}),
    (
        "MHA, LoRA all linear, dropout 0.05",
        {"targets": ("q", "k", "v", "o", "mlp"), "dropout": 0.05},
    ),
    ("GQA 4 groups, LoRA all linear, none", {"groups": 4, "targets": ("q", "k", "v", "o", "mlp")}),
    ("MHA, full finetuning", {"full": True}),
    ("GQA 4 groups, full finetuning", {"full": True, "groups": 4}),
    ("MHA, LoRA q,v, dropout 0.05, fp32", {"targets": ("q", "v"), "dropout": 0.05, "fp32": True}),
]


def kept_bytes(
    layers: int, groups: int, targets: tuple[str, ...], dropout: float, full: bool, fp32: bool
) -> int:
    config = Config(
        name="measured",
        block_size=TOKENS,
        vocab_size=VOCAB,
        padded_vocab_size=VOCAB,
        n_layer=layers,
        n_head=HEADS,
        n_embd=H,
        n_query_groups=groups,
        rotary_percentage=1.0,
        parallel_residual=False,
        bias=False,
        norm_class_name="RMSNorm",
        mlp_class_name="LLaMAMLP",
        intermediate_size=I,
        lora_r=0 if full else 8,
        lora_alpha=16,
        lora_dropout=dropout,
        lora_query="q" in targets,
        lora_key="k" in targets,
        lora_value="v" in targets,
        lora_projection="o" in targets,
        lora_mlp="mlp" in targets,
        lora_head=False,
    )
    torch.manual_seed(0)
    model = GPT(config).to(torch.float32 if fp32 else torch.bfloat16)
    if not full:
        mark_only_lora_as_trainable(model)
    owned = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    kept: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in owned:
            kept[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(torch.randint(0, VOCAB, (1, TOKENS)))
    return sum(kept.values())


def estimated(
    groups: int, targets: tuple[str, ...], dropout: float, full: bool, fp32: bool
) -> float:
    arch = Architecture(
        hidden_size=H,
        num_hidden_layers=1,
        intermediate_size=I,
        num_attention_heads=HEADS,
        num_key_value_heads=groups,
        vocab_size=VOCAB,
    )
    names = {"mlp": ("gate", "up", "down")}
    settings = Settings(
        method="full" if full else "lora",
        precision="fp32" if fp32 else "bf16",
        seq_len=TOKENS,
        targets=tuple(t for given in targets for t in names.get(given, (given,))),
        framework="litgpt",
        lora_dropout=dropout,
        device="cpu",
        gradient_checkpointing=False,
    )
    return _layer_activations(arch, settings, 4.0 if fp32 else 2.0) / TOKENS


def main() -> None:
    print(f"{'case':<40} {'measured':>10} {'estimate':>10} {'error':>7}   (bytes per token)")
    errors = []
    for name, given in CASES:
        options = {"groups": HEADS, "targets": (), "dropout": 0.0, "full": False, "fp32": False}
        options |= given
        measured = (kept_bytes(2, **options) - kept_bytes(1, **options)) / TOKENS
        estimate = estimated(**options)
        error = (estimate - measured) / measured
        errors.append(abs(error))
        print(f"{name:<40} {measured / H:9.2f}h {estimate / H:9.2f}h {error:+7.1%}", flush=True)
    print(f"largest error {max(errors):.1%} over {len(errors)} layer shapes")


if __name__ == "__main__":
    main()
