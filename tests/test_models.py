"""Models as they are published: config files of the families that break the Llama
shape, presets held to their reference counts, checkpoints on disk (safetensors headers,
written by the safetensors library) and the Hugging Face cache, and several GPUs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ftadvisor.plan.architecture import from_hf_config, lora_params, preset
from ftadvisor.plan.memory import Settings, estimate, gpus_needed
from ftadvisor.plan.models import from_directory, named

PRESETS = Path(__file__).parent.parent / "src" / "ftadvisor" / "plan" / "presets.yaml"


def memory(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`ftadvisor memory ARGS` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "ftadvisor", "memory", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


# Configs as their repositories have them (the keys that matter), and the sizes the
# model cards publish: total and, for mixtures of experts, active per token.
MIXTRAL = {
    "model_type": "mixtral",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "num_local_experts": 8,
    "num_experts_per_tok": 2,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}
QWEN3_MOE = {
    "model_type": "qwen3_moe",
    "hidden_size": 2048,
    "intermediate_size": 6144,
    "num_attention_heads": 32,
    "num_hidden_layers": 48,
    "num_key_value_heads": 4,
    "head_dim": 128,
    "num_experts": 128,
    "num_experts_per_tok": 8,
    "moe_intermediate_size": 768,
    "decoder_sparse_step": 1,
    "mlp_only_layers": [],
    "vocab_size": 151936,
    "tie_word_embeddings": False,
}
DEEPSEEK_V2_LITE = {
    "model_type": "deepseek_v2",
    "hidden_size": 2048,
    "intermediate_size": 10944,
    "num_attention_heads": 16,
    "num_hidden_layers": 27,
    "num_key_value_heads": 16,
    "q_lora_rank": None,
    "kv_lora_rank": 512,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "v_head_dim": 128,
    "n_routed_experts": 64,
    "n_shared_experts": 2,
    "num_experts_per_tok": 6,
    "moe_intermediate_size": 1408,
    "first_k_dense_replace": 1,
    "moe_layer_freq": 1,
    "vocab_size": 102400,
    "tie_word_embeddings": False,
}
GEMMA2_9B = {  # no tie_word_embeddings key: Gemma ties by default
    "model_type": "gemma2",
    "hidden_size": 3584,
    "intermediate_size": 14336,
    "num_attention_heads": 16,
    "num_hidden_layers": 42,
    "num_key_value_heads": 8,
    "head_dim": 256,
    "vocab_size": 256000,
}
GEMMA3_4B = {  # the whole language model nested, most of it left to the defaults
    "model_type": "gemma3",
    "text_config": {
        "model_type": "gemma3_text",
        "hidden_size": 2560,
        "intermediate_size": 10240,
        "num_hidden_layers": 34,
    },
    "vision_config": {
        "model_type": "siglip_vision_model",
        "hidden_size": 1152,
        "image_size": 896,
        "intermediate_size": 4304,
        "num_attention_heads": 16,
        "num_hidden_layers": 27,
        "patch_size": 14,
    },
}
MISTRAL_NEMO = {  # 32 heads of 128 in a 5120-wide model
    "model_type": "mistral",
    "hidden_size": 5120,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 40,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 131072,
    "tie_word_embeddings": False,
}


@pytest.mark.parametrize(
    ("config", "total", "active"),
    [
        (MIXTRAL, 46.7e9, 12.9e9),  # Mistral AI, "Mixtral of experts" (2024)
        (QWEN3_MOE, 30.5e9, 3.3e9),  # Qwen3-30B-A3B model card
        (DEEPSEEK_V2_LITE, 15.7e9, None),  # DeepSeek-V2-Lite model card
        (GEMMA2_9B, 9.24e9, None),  # Gemma 2 report
        (GEMMA3_4B, 4.30e9, None),  # Gemma 3 report: 417M vision + 3,884M text
        (MISTRAL_NEMO, 12.25e9, None),  # Mistral-Nemo-Base-2407 page: 12.2B
    ],
    ids=["mixtral", "qwen3-moe", "deepseek-v2-lite", "gemma-2", "gemma-3", "mistral-nemo"],
)
def test_configs_beyond_the_llama_shape_count_their_published_size(
    config: dict[str, object], total: float, active: float | None
) -> None:
    arch = from_hf_config(config, "c")
    assert arch.params == pytest.approx(total, rel=0.01)
    if active is not None:  # "3.3B", "12.9B": published to two figures
        assert arch.active_params == pytest.approx(active, rel=0.02)
        assert arch.active_params < arch.params / 3


def test_the_dense_reading_of_mixtral_was_a_sixth_of_it() -> None:
    dense = {k: v for k, v in MIXTRAL.items() if "expert" not in k and k != "model_type"}
    assert from_hf_config(dense, "dense").params < from_hf_config(MIXTRAL, "moe").params / 6


def test_deepseek_active_parameters_as_deepseek_counts_them() -> None:
    # DeepSeek's "2.4B activated" leaves out the input embedding.
    arch = from_hf_config(DEEPSEEK_V2_LITE, "c")
    active = arch.active_params - arch.vocab_size * arch.hidden_size
    assert active == pytest.approx(2.4e9, abs=0.06e9)


def test_every_preset_is_within_one_percent_of_its_reference() -> None:
    entries = yaml.safe_load(PRESETS.read_text())
    assert len(entries) >= 40
    for entry in entries:
        arch = preset(entry["alias"])
        assert arch.computed_params == pytest.approx(entry["params"], rel=0.01), entry["alias"]
        assert entry["source"], entry["alias"]


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b"),
        ("meta-llama/Llama-2-7b-chat-hf", "llama-2-7b"),
        ("google/gemma-2-9b-it", "gemma-2-9b"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b"),
        ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b"),
        ("Qwen/Qwen3-8B", "qwen3-8b"),
        ("MIXTRAL-8X7B", "mixtral-8x7b"),
    ],
)
def test_tuned_variants_resolve_to_their_base_shapes(name: str, base: str) -> None:
    assert preset(name) is preset(base)


def test_an_unknown_model_says_how_to_name_it() -> None:
    done = memory("--model", "acme/unheard-of-13b")
    assert done.returncode == 2
    assert "--config" in done.stderr and "--params" in done.stderr
    assert "Hugging Face cache" in done.stderr


def test_moe_memory_holds_every_expert_and_adapts_each() -> None:
    arch = preset("mixtral-8x7b")
    inference = estimate(arch, Settings(method="inference", precision="bf16"))
    assert inference.breakdown["weights"] == pytest.approx(46.7e9 * 2, rel=0.01)
    # LoRA on the feed-forward adapts each of the 8 experts of every layer.
    per_expert = 32 * 8 * (4096 + 14336) * 3
    assert lora_params(arch, 8, ("gate", "up", "down")) == 8 * per_expert


def _write_checkpoint(directory: Path, config: dict[str, object], shards: int = 1) -> int:
    """A tiny model as `save_pretrained` lays it out: config.json and safetensors
    written by the safetensors library itself; returns the parameter count."""
    numpy = pytest.importorskip("numpy")
    save = pytest.importorskip("safetensors.numpy").save_file
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config))
    arch = from_hf_config(config, "tiny")
    h, v = arch.hidden_size, arch.vocab_size
    tensors = {"model.embed_tokens.weight": numpy.zeros((v, h), numpy.float16)}
    for layer in range(arch.num_hidden_layers):
        for name, (n, m) in arch.shapes().items():
            tensors[f"model.layers.{layer}.{name}.weight"] = numpy.zeros((m, n), numpy.float16)
        for norm in ("input_layernorm", "post_attention_layernorm"):
            tensors[f"model.layers.{layer}.{norm}.weight"] = numpy.zeros(h, numpy.float16)
    tensors["model.norm.weight"] = numpy.zeros(h, numpy.float16)
    tensors["lm_head.weight"] = numpy.zeros((v, h), numpy.float16)
    names = sorted(tensors)
    if shards == 1:
        save(tensors, str(directory / "model.safetensors"))
    else:
        weight_map = {}
        for index in range(shards):
            part = names[index::shards]
            file = f"model-{index + 1:05d}-of-{shards:05d}.safetensors"
            save({n: tensors[n] for n in part}, str(directory / file))
            weight_map.update(dict.fromkeys(part, file))
        total = sum(t.nbytes for t in tensors.values())
        (directory / "model.safetensors.index.json").write_text(
            json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map})
        )
    return sum(t.size for t in tensors.values())


TINY = {
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_hidden_layers": 3,
    "vocab_size": 500,
    "tie_word_embeddings": False,
    "torch_dtype": "float16",
}


def test_a_model_directory_is_counted_from_its_safetensors_headers(tmp_path: Path) -> None:
    count = _write_checkpoint(tmp_path / "tiny", {**TINY, "vocab_size": 512}, shards=3)
    # The config claims 512 rows, the checkpoint holds 500: the headers win.
    (tmp_path / "tiny" / "config.json").write_text(json.dumps(TINY))
    arch = from_directory(tmp_path / "tiny")
    assert arch.stored_params == count and arch.params == count
    assert arch.dtype == "float16"
    done = memory("--model", str(tmp_path / "tiny"), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["params"] == count


def test_a_partial_download_is_sized_from_its_index(tmp_path: Path) -> None:
    count = _write_checkpoint(tmp_path / "part", TINY, shards=2)
    next((tmp_path / "part").glob("model-00001-*")).unlink()
    assert from_directory(tmp_path / "part").params == count  # total_size / 2 bytes


def test_models_are_found_in_the_hugging_face_cache(tmp_path: Path, monkeypatch) -> None:
    snapshot = tmp_path / "hub" / "models--acme--tiny-chat" / "snapshots" / "0123abc"
    count = _write_checkpoint(snapshot, TINY)
    refs = tmp_path / "hub" / "models--acme--tiny-chat" / "refs"
    refs.mkdir()
    (refs / "main").write_text("0123abc")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert named("acme/tiny-chat").params == count
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert named("acme/tiny-chat").params == count
    env = {**os.environ, "HF_HOME": str(tmp_path)}
    done = memory("--model", "acme/tiny-chat", "-f", "json", env=env)
    assert done.returncode == 0 and json.loads(done.stdout)["params"] == count


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x01\x00", "too short"),
        ((2**40).to_bytes(8, "little"), "header claims"),
        ((10).to_bytes(8, "little") + b"not json!!", "not JSON"),
        ((20).to_bytes(8, "little") + b'{"a": {"dtype": "X"', "cut short"),
        (
            (40).to_bytes(8, "little") + b'{"w": {"dtype": "Q9", "shape": [1]}}    ',
            "unknown dtype",
        ),
    ],
)
def test_broken_safetensors_are_input_errors(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "config.json").write_text(json.dumps(TINY))
    (tmp_path / "model.safetensors").write_bytes(content)
    done = memory("--config", str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "model.safetensors" in done.stderr and expected in done.stderr
    assert "Traceback" not in done.stderr


def test_fsdp_splits_the_weights_and_says_how_many_gpus() -> None:
    arch = preset("llama-3.1-70b")
    zero2 = estimate(arch, Settings(method="lora", gpus=2, sharding="zero2"))
    fsdp = estimate(arch, Settings(method="lora", gpus=2, sharding="fsdp"))
    assert fsdp.breakdown["weights"] < 0.55 * zero2.breakdown["weights"]
    assert not zero2.fits(80) and fsdp.fits(80)  # 70B LoRA on 2 × 80 GB: what teams run
    assert gpus_needed(arch, Settings(method="lora"), 80) == (2, "fsdp")
    assert gpus_needed(arch, Settings(method="lora", sharding="zero2"), 80) is None
    full = gpus_needed(arch, Settings(method="full"), 80)
    assert full is not None and 8 <= full[0] <= 32  # 16 bytes per parameter, sharded
    inference = gpus_needed(arch, Settings(method="inference", precision="bf16"), 80)
    assert inference == (2, "none")


def test_the_memory_json_names_sharding_and_gpus_needed() -> None:
    done = memory(
        "--model", "llama-3.1-70b", "--method", "LoRA", "--gpu-memory", "80", "-f", "json"
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["method"] == "lora" and doc["fits"] is False
    assert doc["gpus_needed"] == {"gpus": 2, "sharding": "fsdp", "gpu_memory_gb": 80.0}
    text = memory("--model", "mixtral-8x7b", "--gpu-memory", "24").stdout
    assert "12.88B active per token" in text and "None" not in text


# ---- time and cost ---------------------------------------------------------------------


def test_training_flops_per_token() -> None:
    from ftadvisor.plan.compute import flops_per_token

    dense = preset("llama-2-7b")
    n = dense.params
    assert flops_per_token(dense, "full", n, checkpointing=False) == 6 * n
    assert flops_per_token(dense, "lora", 1, checkpointing=False) == 4 * n
    assert flops_per_token(dense, "qlora", 1, checkpointing=True) == 6 * n
    moe = preset("mixtral-8x7b")  # the experts a token passes through, not all eight
    assert flops_per_token(moe, "full", moe.params, checkpointing=False) == 6 * moe.active_params


def test_the_qlora_papers_65b_run_falls_in_the_band() -> None:
    # Dettmers et al. 2023: Guanaco 65B, QLoRA, 24 hours on one 48 GB GPU; 1,875 steps
    # of 16 sequences over OASST1, taken here as 10.5 million tokens (about 350 each).
    from ftadvisor.plan.compute import training_time

    arch = preset("llama-65b")
    run = training_time(
        arch,
        method="qlora",
        trainable=1,
        checkpointing=True,
        tokens=3_500_000,
        epochs=3,
        gpu_type="RTX A6000",
        seq_len=512,
    )
    low, high = run.gpu_hours
    assert low < 24 < high


def test_time_and_cost_through_the_command_line(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": "user", "content": "q " * 30},
                {"role": "assistant", "content": "a " * 70},
            ]
        }
        for _ in range(1)
    ] + [
        {
            "messages": [
                {"role": "user", "content": f"question {i}"},
                {"role": "assistant", "content": f"answer {i}"},
            ]
        }
        for i in range(99)
    ]
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    base = ["--model", "llama-3.1-8b"]
    done = memory(
        *base,
        "--data",
        str(train),
        "--epochs",
        "2",
        "--gpu-type",
        "H100",
        "--price-per-gpu-hour",
        "3",
        "-f",
        "json",
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    timed = doc["training_time"]
    assert doc["gpu_memory_gb"] == 80  # the card's, without --gpu-memory
    assert timed["gpu_type"] == "H100-SXM" and timed["tokens_from"].endswith("(approximate tokens)")
    low, high = timed["gpu_hours"]
    flops_low, flops_high = timed["flops"]
    arch = preset("llama-3.1-8b")  # LoRA with checkpointing: 6N per token, plus attention
    assert flops_low == pytest.approx(6 * arch.params * timed["tokens"], rel=1e-3)
    attention = 2 * 1024 * (4096 + 4096) * 32 * 4  # the default sequence length, 1,024
    assert flops_high == pytest.approx(flops_low + attention * timed["tokens"], rel=1e-3)
    assert high == pytest.approx(low * (flops_high / flops_low) * 0.45 / 0.25, rel=1e-3)
    assert timed["cost"] == pytest.approx([low * 3, high * 3], rel=1e-3)
    for args, expected in (
        (["--tokens", "1000"], "add --gpu-type"),
        (["--tokens", "1000", "--gpu-type", "Z80"], "unknown GPU type 'Z80'"),
        (["--tokens", "0", "--gpu-type", "L4"], "--tokens must be"),
        (["--method", "inference", "--tokens", "9", "--gpu-type", "L4"], "not inference"),
    ):
        refused = memory(*base, *args)
        assert refused.returncode == 2 and expected in refused.stderr, (args, refused.stderr)


def test_the_terms_practitioners_hit() -> None:
    arch = preset("llama-3.1-8b")  # a 128k vocabulary: the loss matters
    base = Settings(method="lora", seq_len=2048, batch=2)
    hf, chunked = estimate(arch, base), estimate(arch, base._replace(loss="chunked"))
    logits = 2 * 2048 * arch.vocab_size
    assert hf.breakdown["activations"] - chunked.breakdown["activations"] == pytest.approx(
        logits * (12 - 4)
    )
    cpu = estimate(arch, base._replace(device="cpu"))
    assert cpu.breakdown["overhead"] == 0 and cpu.settings.step_impl == "forloop"
    assert hf.breakdown["overhead"] > 2**30
    # PEFT keeps adapters in fp32 beside a bf16 base: 16 bytes a parameter with AdamW.
    fused = base._replace(optimizer_impl="fused", seq_len=16)
    peft = estimate(arch, fused).phases["optimizer_step"]
    litgpt = estimate(arch, fused._replace(adapter_precision="compute")).phases["optimizer_step"]
    trainable = estimate(arch, fused).trainable_params
    assert peft - litgpt == pytest.approx(trainable * (16 - 8))
    # LoRA on every linear layer stores a copy of each adapted input: more than on q, v.
    every = base._replace(
        targets=("q", "k", "v", "o", "gate", "up", "down"), gradient_checkpointing=False
    )
    qv = base._replace(targets=("q", "v"), gradient_checkpointing=False)
    assert (
        estimate(arch, every).phases["backward_start"] > estimate(arch, qv).phases["backward_start"]
    )
    # The peak is the larger of the two phases, not their sum.
    full = estimate(arch, Settings(method="full"))
    assert full.tensor_bytes == pytest.approx(max(full.phases.values()))


def test_zero1_splits_only_the_optimizer_states() -> None:
    arch = preset("llama-2-13b")
    one = estimate(arch, Settings(method="full", optimizer_impl="fused")).phases
    split = estimate(
        arch, Settings(method="full", optimizer_impl="fused", gpus=4, sharding="zero1")
    )
    whole = estimate(arch, Settings(method="full", optimizer_impl="fused"))
    assert split.breakdown["optimizer"] == pytest.approx(whole.breakdown["optimizer"] / 4)
    assert split.breakdown["gradients"] == whole.breakdown["gradients"]
    assert split.phases["optimizer_step"] < one["optimizer_step"]
