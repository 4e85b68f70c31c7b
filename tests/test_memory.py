"""The memory model: the chapter's worked figures, published LoRA counts, GQA shapes,
and the fit and inverse questions."""

from __future__ import annotations

import json

import pytest

from ftadvisor.choices import METHODS
from ftadvisor.cli.app import run
from ftadvisor.errors import UserError
from ftadvisor.plan.architecture import Architecture, from_hf_config, lora_params, preset
from ftadvisor.plan.memory import (
    GB,
    GIB,
    Settings,
    estimate,
    largest,
    napkin_gradients_and_states_bytes,
    napkin_inference_bytes,
    smallest_gpu,
)

# ---- Huyen 2025, AI Engineering ch. 7: every worked figure whose inputs are stated -------


def test_inference_13b_at_2_bytes_is_31_2_gb() -> None:
    assert napkin_inference_bytes(13e9, 2) / GB == pytest.approx(31.2)


def test_gradients_and_adam_states_78_gb_and_6_gb() -> None:
    assert napkin_gradients_and_states_bytes(13e9, "adam", 2) / GB == pytest.approx(78)
    assert napkin_gradients_and_states_bytes(1e9, "adam", 2) / GB == pytest.approx(6)
    assert napkin_gradients_and_states_bytes(13e9, "sgd", 2) / GB == pytest.approx(26)
    assert napkin_gradients_and_states_bytes(13e9, "momentum", 2) / GB == pytest.approx(52)


def test_7b_full_finetune_fp16_adam_is_56_gb_before_activations() -> None:
    weights = 7e9 * 2
    assert (weights + napkin_gradients_and_states_bytes(7e9, "adam", 2)) / GB == pytest.approx(56)


def test_10b_weights_40_gb_fp32_20_gb_fp16() -> None:
    assert 10e9 * 4 / GB == 40 and 10e9 * 2 / GB == 20
    arch = preset("llama-2-7b")
    fp32 = estimate(arch, Settings(method="inference", precision="fp32"))
    bf16 = estimate(arch, Settings(method="inference", precision="bf16"))
    assert fp32.breakdown["weights"] == pytest.approx(2 * bf16.breakdown["weights"])


def test_gpt3_rank_2_on_four_matrices_is_18_874_368() -> None:
    gpt3 = preset("gpt-3-175b")
    assert lora_params(gpt3, 2, ("q", "k", "v", "o")) == 18_874_368
    assert lora_params(gpt3, 2, ("q", "k", "v", "o")) // gpt3.num_hidden_layers == 196_608


def test_rank_8_adapter_on_4096_square_and_the_100_customers() -> None:
    square = Architecture(4096, 1, 4096, 32, 32, 32000)
    adapter = lora_params(square, 8, ("q",))
    assert adapter == 65_536
    full_matrix = 4096 * 4096
    assert full_matrix * 100 == 1_677_721_600  # "1.68B"
    assert full_matrix + adapter * 100 == 23_330_816  # "23.3M"


def test_table_7_6_slip_the_formula_disagrees_with_the_printed_figures() -> None:
    # Printed: Llama 2 13B, r=2 on query & key: 3.28M; GPT-3: 18.87M. The formula gives:
    assert lora_params(preset("llama-2-13b"), 2, ("q", "k")) == 1_638_400
    assert lora_params(preset("gpt-3-175b"), 2, ("q", "k")) == 9_437_184
    # The printed values are those of r=2 on all four attention matrices:
    assert lora_params(preset("llama-2-13b"), 2, ("q", "k", "v", "o")) == 3_276_800


# ---- published counts and shapes -----------------------------------------------------------


def test_llama_2_7b_rank_8_on_q_v_is_4_194_304() -> None:
    assert lora_params(preset("llama-2-7b"), 8, ("q", "v")) == 4_194_304


@pytest.mark.parametrize(
    ("name", "published"),
    [
        ("llama-2-7b", 6.74),
        ("llama-3.1-8b", 8.03),
        ("mistral-7b", 7.24),
        ("qwen2.5-0.5b", 0.49),
        ("qwen2.5-7b", 7.61),
        ("qwen2.5-72b", 72.7),
        ("llama-2-70b", 69.0),
        ("llama-65b", 65.2),
        ("gpt-3-175b", 175.0),
    ],
)
def test_parameter_counts_match_published_sizes(name: str, published: float) -> None:
    assert preset(name).params / 1e9 == pytest.approx(published, rel=0.01)


def test_grouped_query_attention_shrinks_k_and_v() -> None:
    llama3 = preset("llama-3.1-8b")  # 32 query heads, 8 key-value heads of 128
    shapes = llama3.shapes()
    assert shapes["q"] == (4096, 4096)
    assert shapes["k"] == shapes["v"] == (4096, 1024)
    assert lora_params(llama3, 8, ("k",)) == 32 * 8 * (4096 + 1024)
    gqa = estimate(llama3, Settings(method="inference", seq_len=8192)).breakdown
    mha = estimate(
        llama3._replace(num_key_value_heads=32), Settings(method="inference", seq_len=8192)
    ).breakdown
    kv_cache = 2 * 32 * 1024 * 8192 * 2  # keys and values, 32 layers, 8 heads of 128, bf16
    assert mha["activations"] - gqa["activations"] >= 3 * kv_cache


def test_presets_answer_to_alias_and_hugging_face_id() -> None:
    assert preset("meta-llama/Llama-2-7b-hf") is preset("llama-2-7b")
    assert preset("Qwen/Qwen2.5-14B") is preset("qwen2.5-14b")
    with pytest.raises(Exception, match="did you mean 'llama-2-7b'"):
        preset("llama-2-7")


def test_hf_config_is_read_like_a_preset() -> None:
    config = {
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "intermediate_size": 11008,
        "num_attention_heads": 32,
        "vocab_size": 32000,
    }
    assert from_hf_config(config, "c").params == preset("llama-2-7b").params


# ---- precision, methods, fit and inverse questions -------------------------------------------


def test_mixed_precision_is_16_bytes_per_adam_parameter_and_pure_bf16_is_8() -> None:
    arch = preset("llama-2-7b")
    fused = Settings(method="full", optimizer_impl="fused")  # no step transient
    mixed = estimate(arch, fused._replace(precision="mixed-bf16"))
    pure = estimate(arch, fused._replace(precision="bf16"))

    def per_param(e):
        return (
            e.breakdown["weights"] + e.breakdown["gradients"] + e.breakdown["optimizer"]
        ) / e.params

    assert per_param(mixed) == pytest.approx(16)
    assert per_param(pure) == pytest.approx(8)
    # The foreach step (CUDA's default) holds about one more fp32 copy of the parameters.
    foreach = estimate(arch, Settings(method="full", precision="mixed-bf16"))
    assert per_param(foreach) == pytest.approx(20)
    assert foreach.phases["optimizer_step"] > foreach.phases["backward_start"]


def test_qlora_constants_with_and_without_double_quantization() -> None:
    arch = preset("llama-65b")
    plain = estimate(arch, Settings(method="qlora", double_quant=False))
    double = estimate(arch, Settings(method="qlora", double_quant=True))
    saved = plain.breakdown["weights"] - double.breakdown["weights"]
    quantized = arch.num_hidden_layers * (arch.layer_params - 2 * arch.hidden_size)
    assert saved / quantized * 8 == pytest.approx(0.5 - 0.127)  # bits per quantized weight
    # Embeddings and the LM head stay in 16 bits.
    embeddings = arch.embedding_params * 2
    assert double.breakdown["weights"] > embeddings + quantized * (0.5 + 0.127 / 8)
    # The QLoRA paper's headline: a 65B model finetunes on one 48 GB GPU.
    assert estimate(arch, Settings(method="qlora", seq_len=512)).fits(48)
    assert not estimate(arch, Settings(method="lora", seq_len=512)).fits(48)


def test_eager_attention_and_no_checkpointing_cost_more() -> None:
    arch = preset("llama-2-7b")
    base = Settings(method="lora", seq_len=4096, batch=2)
    fused = estimate(arch, base._replace(gradient_checkpointing=False)).breakdown["activations"]
    eager = estimate(arch, base._replace(gradient_checkpointing=False, attention="eager"))
    kept = estimate(arch, base).breakdown["activations"]
    assert eager.breakdown["activations"] > 2 * fused > 4 * kept


def test_sharding_divides_gradients_and_optimizer_states() -> None:
    arch = preset("llama-2-13b")
    one = estimate(arch, Settings(method="full")).breakdown
    four = estimate(arch, Settings(method="full", gpus=4)).breakdown
    assert four["optimizer"] == pytest.approx(one["optimizer"] / 4)
    assert four["weights"] == one["weights"]


def test_fits_compares_with_spec_sheet_gib() -> None:
    arch = preset("llama-2-7b")
    est = estimate(arch, Settings(method="lora"))
    assert est.fits(est.total_bytes / GIB + 0.01)
    assert not est.fits(est.total_bytes / GIB - 0.01)


def test_inverse_questions_are_the_boundaries() -> None:
    arch, settings = preset("llama-2-7b"), Settings(method="lora")
    batch = largest(arch, settings, 24, "batch")
    assert batch is not None
    assert estimate(arch, settings._replace(batch=batch)).fits(24)
    assert not estimate(arch, settings._replace(batch=batch + 1)).fits(24)
    seq = largest(arch, settings, 24, "seq_len")
    assert estimate(arch, settings._replace(seq_len=seq)).fits(24)
    assert not estimate(arch, settings._replace(seq_len=seq + 1)).fits(24)
    assert largest(preset("llama-2-70b"), Settings(method="full"), 24, "batch") is None
    _name, size = smallest_gpu(arch, settings)
    assert estimate(arch, settings).fits(size) and size == 16


@pytest.mark.parametrize("method", METHODS)
def test_cli_json_for_every_method(capsys: pytest.CaptureFixture[str], method: str) -> None:
    code = run(
        [
            "memory",
            "--model",
            "llama-2-7b",
            "--method",
            method,
            "--gpu-memory",
            "80",
            "--format",
            "json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(doc["breakdown"]) == {"weights", "gradients", "optimizer", "activations", "overhead"}
    assert doc["total_gb"] == pytest.approx(sum(doc["breakdown"].values()), abs=0.01)
    assert isinstance(doc["trainable_params"], int) and isinstance(doc["fits"], bool)


def test_cli_custom_dimensions_and_errors(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    code = run(
        [
            "memory",
            "--hidden-size",
            "4096",
            "--num-hidden-layers",
            "32",
            "--intermediate-size",
            "11008",
            "--num-attention-heads",
            "32",
            "--vocab-size",
            "32000",
            "--method",
            "full",
            "-f",
            "json",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["params"] == preset("llama-2-7b").params
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "model_type": "qwen2",  # q, k and v carry biases: the family says so
                "hidden_size": 896,
                "num_hidden_layers": 24,
                "intermediate_size": 4864,
                "num_attention_heads": 14,
                "num_key_value_heads": 2,
                "vocab_size": 151936,
                "tie_word_embeddings": True,
            }
        )
    )
    assert run(["memory", "--config", str(config), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"] == preset("qwen2.5-0.5b").params
    for args in (
        ["memory"],
        ["memory", "--model", "x", "--params", "7"],
        ["memory", "--model", "llama-2-7b", "--targets", "q,zz"],
        ["memory", "--model", "llama-2-7b", "--method", "train"],
        ["memory", "--model", "gpt-3-175b", "--targets", "gate"],
    ):
        assert run(args) == 2, args
        assert "Traceback" not in capsys.readouterr().err


def test_reference_runs_are_complete_and_use_known_models() -> None:
    import yaml

    from .conftest import ROOT

    runs = yaml.safe_load((ROOT / "benchmarks" / "memory_reference.yaml").read_text())
    assert len(runs) >= 6
    for entry in runs:
        assert entry["source"] and entry["reported_gb"] > 0
        preset(entry["model"])
        assert {
            "method",
            "precision",
            "optimizer",
            "batch",
            "seq_len",
            "attention",
            "gradient_checkpointing",
        } <= set(entry)


def test_generation_caches_the_prompt_and_the_new_tokens() -> None:
    """2·L·kv·(prompt + new)·c·batch: the cache at the last generated token."""
    arch = preset("llama-3.1-8b")
    prompt = Settings(method="inference", precision="bf16", seq_len=4096, batch=8)
    grown = estimate(arch, prompt._replace(new_tokens=1024)).breakdown["activations"]
    base = estimate(arch, prompt).breakdown["activations"]
    per_token = 2 * arch.num_hidden_layers * arch.kv_dim * 2 * 8
    assert grown - base == pytest.approx(per_token * 1024)
    with pytest.raises(UserError, match="--new-tokens is for --method inference"):
        estimate(arch, Settings(method="lora", new_tokens=5))


def test_new_tokens_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["memory", "--model", "llama-3.1-8b", "--method", "inference", "--seq-len", "4096"]
    assert run([*args, "--new-tokens", "1024", "--batch", "8", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["new_tokens"] == 1024 and doc["seq_len"] == 4096
    assert "4,096-token prompt and 1,024 new tokens (5.37 GB)" in doc["assumptions"][0]
    assert run([*args, "--new-tokens", "-1"]) == 2
    assert "--new-tokens must be" in capsys.readouterr().err


def _kept_per_token_h(groups: int, settings: Settings) -> float:
    """What one layer of the measured shape keeps per token, in units of h (1,024)."""
    from ftadvisor.plan.memory import _layer_activations

    arch = Architecture(
        hidden_size=1024,
        num_hidden_layers=1,
        intermediate_size=2816,
        num_attention_heads=16,
        num_key_value_heads=groups,
        vocab_size=32000,
    )
    value = 4.0 if settings.precision == "fp32" else 2.0
    return _layer_activations(arch, settings, value) / settings.seq_len / 1024


@pytest.mark.parametrize(
    ("groups", "method", "targets", "dropout", "measured_h"),
    [  # litgpt 0.5.13 on the CPU, bf16, bytes per token in units of h (measure_litgpt.py)
        (16, "lora", ("q", "v"), 0.05, 44.70),
        (16, "lora", ("q", "v"), 0.0, 42.70),
        (4, "lora", ("q", "v"), 0.05, 39.17),
        (16, "lora", ("q", "k", "v", "o", "gate", "up", "down"), 0.05, 63.71),
        (4, "lora", ("q", "k", "v", "o", "gate", "up", "down"), 0.0, 44.21),
        (16, "full", ("q", "v"), 0.0, 56.10),
        (4, "full", ("q", "v"), 0.0, 52.10),
    ],
)
def test_a_litgpt_layer_keeps_what_was_measured(
    groups: int, method: str, targets: tuple[str, ...], dropout: float, measured_h: float
) -> None:
    settings = Settings(
        method=method,  # type: ignore[arg-type]
        precision="bf16",
        seq_len=256,
        targets=targets,
        framework="litgpt",
        lora_dropout=dropout,
        device="cpu",
    )
    assert _kept_per_token_h(groups, settings) == pytest.approx(measured_h, rel=0.01)


def test_framework_and_dropout_change_the_estimate_where_they_should(
    capsys: pytest.CaptureFixture[str],
) -> None:
    arch = preset("llama-2-7b")
    base = Settings(
        method="lora",
        precision="bf16",
        seq_len=1304,
        targets=("q", "v"),
        gradient_checkpointing=False,
    )
    hf, lit = estimate(arch, base), estimate(arch, base._replace(framework="litgpt"))
    # LitGPT keeps the fused projection's output whole and pads the adapters' output
    assert lit.breakdown["activations"] > hf.breakdown["activations"]
    masked = estimate(arch, base._replace(lora_dropout=0.05))
    mask = 1304 * 32 * 2 * 4096  # a bool per element of q's and v's inputs, 32 layers
    assert masked.breakdown["activations"] - hf.breakdown["activations"] == pytest.approx(mask)
    assert estimate(arch, base._replace(method="inference", lora_dropout=0.05)).total_bytes == (
        estimate(arch, base._replace(method="inference")).total_bytes
    )
    args = ["memory", "--model", "llama-2-7b", "--framework", "LitGPT", "--lora-dropout", "0.05"]
    assert run([*args, "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["framework"] == "litgpt" and doc["lora_dropout"] == 0.05
    assert run(["memory", "--model", "llama-2-7b", "--lora-dropout", "1"]) == 2
    assert "--lora-dropout must be" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("method", "precision", "targets", "measured_h"),
    [  # transformers 5.24 + PEFT 0.21.2 on the CPU, grouped-query (measure_layers.py)
        ("full", "bf16", ("q", "v"), 43.07),
        ("full", "fp32", ("q", "v"), 78.07),
        ("lora", "bf16", ("q", "v"), 37.63),  # fp32 adapters: each input cast, kept apart
        ("lora", "fp32", ("q", "v"), 55.13),  # no cast: q and v keep one shared input
        ("lora", "bf16", ("q", "k", "v", "o", "gate", "up", "down"), 64.79),
    ],
)
def test_a_transformers_layer_keeps_what_was_measured(
    method: str, precision: str, targets: tuple[str, ...], measured_h: float
) -> None:
    settings = Settings(
        method=method,  # type: ignore[arg-type]
        precision=precision,  # type: ignore[arg-type]
        seq_len=256,
        targets=targets,
        device="cpu",
    )
    assert _kept_per_token_h(4, settings) == pytest.approx(measured_h, rel=0.01)


@pytest.mark.parametrize("attention", ["sdpa", "eager"])  # the loss is larger; the layer is
def test_with_checkpointing_the_recomputed_layer_and_the_loss_do_not_add_up(
    attention: str,
) -> None:
    from ftadvisor.plan.memory import _layer_activations

    arch = preset("llama-3.1-8b")
    settings = Settings(method="lora", seq_len=4096, attention=attention, loss="chunked")  # type: ignore[arg-type]
    est = estimate(arch, settings)
    tokens, h = 4096, arch.hidden_size
    one = _layer_activations(arch, settings, 2.0, adapter_bytes=4.0)
    loss = 2 * 2 * tokens * arch.vocab_size  # chunked: logits and log-probabilities in bf16
    kept = arch.num_hidden_layers * h * tokens * 2 + (4 + 2) * h * tokens
    assert (one > loss) == (attention == "eager")
    frozen = est.breakdown["weights"] + est.breakdown["optimizer"]
    assert est.phases["backward_start"] == pytest.approx(frozen + kept + max(one, loss))
