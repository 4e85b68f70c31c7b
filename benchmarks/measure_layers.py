"""What one LitGPT layer keeps for the backward pass, measured, against ftadvisor's term.

    pip install torch==2.13.0 litgpt==0.5.13
    python benchmarks/measure_litgpt.py

Builds LitGPT models (random weights, bf16 unless stated, on the CPU) of one and of two
layers, runs a forward pass under `torch.autograd.graph.saved_tensors_hooks`, and adds
up the distinct storages the graph keeps that are not parameters or buffers (a view
keeps its whole storage alive, so storages, not tensors, are counted). The difference
between the two models is one layer; divided by the tokens it is bytes per token,
shown in units of the hidden size h. The estimate is ftadvisor's with `--device cpu`
(on the CPU a dropout mask is the size of the values; on CUDA it is a bool).

Not run by CI: it needs torch, litgpt, transformers and peft, which ftadvisor does not
depend on.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import peft
import torch
from litgpt.lora import GPT, Config, mark_only_lora_as_trainable
from transformers import AutoModelForCausalLM, LlamaConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ftadvisor.plan.architecture import Architecture
from ftadvisor.plan.memory import Settings, _layer_activations

TOKENS = 256
H, I, HEADS, VOCAB = 1024, 2816, 16, 32000  # noqa: E741  (h and i as in the formulas)

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


HF_CASES: list[tuple[str, dict]] = [
    ("HF GQA, full finetuning", {"full": True}),
    ("HF GQA, full finetuning, fp32", {"full": True, "fp32": True}),
    ("HF GQA, PEFT LoRA q,v (fp32 adapters)", {"targets": ("q", "v")}),
    ("HF GQA, PEFT LoRA q,v, fp32", {"targets": ("q", "v"), "fp32": True}),
    ("HF GQA, PEFT LoRA all linear", {"targets": ("q", "k", "v", "o", "gate", "up", "down")}),
]
HF_NAMES = {
    "q": "q_proj",
    "k": "k_proj",
    "v": "v_proj",
    "o": "o_proj",
    "gate": "gate_proj",
    "up": "up_proj",
    "down": "down_proj",
}


def storages(model: torch.nn.Module, run: object) -> int:
    """Bytes of the distinct storages the autograd graph keeps, parameters left out."""
    owned = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    kept: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in owned:
            kept[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        run()  # type: ignore[operator]
    return sum(kept.values())


def hf_kept_bytes(layers: int, targets: tuple[str, ...], full: bool, fp32: bool) -> int:
    config = LlamaConfig(
        hidden_size=H,
        num_hidden_layers=layers,
        intermediate_size=I,
        num_attention_heads=HEADS,
        num_key_value_heads=4,
        vocab_size=VOCAB,
    )
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(
        config, dtype=torch.float32 if fp32 else torch.bfloat16
    )
    if not full:
        lora = peft.LoraConfig(r=8, target_modules=[HF_NAMES[t] for t in targets])
        model = peft.get_peft_model(model, lora)
    tokens = torch.randint(0, VOCAB, (1, TOKENS))
    return storages(model, lambda: model(input_ids=tokens))


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
    tokens = torch.randint(0, VOCAB, (1, TOKENS))
    return storages(model, lambda: model(tokens))


def estimated(groups: int, full: bool, fp32: bool, **settings: object) -> float:
    """ftadvisor's bytes per token for one layer of this shape."""
    arch = Architecture(
        hidden_size=H,
        num_hidden_layers=1,
        intermediate_size=I,
        num_attention_heads=HEADS,
        num_key_value_heads=groups,
        vocab_size=VOCAB,
    )
    chosen = Settings(
        method="full" if full else "lora",
        precision="fp32" if fp32 else "bf16",
        seq_len=TOKENS,
        device="cpu",
        gradient_checkpointing=False,
    )._replace(**settings)
    return _layer_activations(arch, chosen, 4.0 if fp32 else 2.0) / TOKENS


def compare(name: str, measure: Callable[[int], int], estimate: float) -> float:
    """Print one case (one layer: two layers' bytes less one layer's) and its error."""
    measured = (measure(2) - measure(1)) / TOKENS
    error = (estimate - measured) / measured
    print(f"{name:<40} {measured / H:9.2f}h {estimate / H:9.2f}h {error:+7.1%}", flush=True)
    return abs(error)


def main() -> None:
    print(f"{'case':<40} {'measured':>10} {'estimate':>10} {'error':>7}   (bytes per token)")
    mlp = {"mlp": ("gate", "up", "down")}
    errors = []
    for name, given in CASES:
        o = {"groups": HEADS, "targets": (), "dropout": 0.0, "full": False, "fp32": False} | given
        targets = tuple(t for g in o["targets"] for t in mlp.get(g, (g,)))
        estimate = estimated(
            o["groups"], o["full"], o["fp32"], targets=targets or ("q", "v"),
            framework="litgpt", lora_dropout=o["dropout"],
        )  # fmt: skip
        errors.append(compare(name, lambda n, o=o: kept_bytes(n, **o), estimate))
    for name, given in HF_CASES:
        o = {"targets": (), "full": False, "fp32": False} | given
        estimate = estimated(4, o["full"], o["fp32"], targets=o["targets"] or ("q", "v"))
        errors.append(compare(name, lambda n, o=o: hf_kept_bytes(n, **o), estimate))
    print(f"largest error {max(errors):.1%} over {len(errors)} layer shapes")


if __name__ == "__main__":
    main()
