"""The finetuning plan inside `assess`: present when finetuning is the step, with
numbers, a source on every suggestion, and choices that follow memory and data."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ftadvisor import Profile, assess, load_profile
from ftadvisor.cli.app import run
from ftadvisor.plan.architecture import preset
from ftadvisor.plan.memory import Settings, estimate

from .conftest import EVAL, EXAMPLES, READY

FORM = {"information": 1, "behavior": 30}
TRIED = {
    "systematic": True,
    "variants_tested": 4,
    "few_shot_examples": 10,
    "strongest_model_tried": True,
}


def finetune_profile(**extra: Any) -> Profile:
    data = {
        "version": 1,
        "name": "plan",
        "evaluation": EVAL,
        "prompting": TRIED,
        "failures": FORM,
        "resources": READY,
        **extra,
    }
    return Profile.model_validate(data)


def test_finetune_example_carries_a_plan_with_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["assess", str(EXAMPLES / "invoice-extractor.yaml"), "-f", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    assert plan["method"] == "lora"
    assert plan["memory"]["model"] == "mistral-7b-v0.1"  # the preset mistral-7b names
    assert plan["memory"]["fits"] is True
    assert 0 < plan["memory"]["total_gb"] < 24 * 1.0737
    assert plan["lora"] == {"targets": ["q", "k", "v", "o"], "rank": 16, "alpha": 32}
    assert plan["hyperparameters"]["effective_batch"] >= 8
    assert all(item["source"] for item in plan["items"])
    assert any("training" in a for a in plan["assumptions"])


def test_no_plan_unless_finetuning_is_the_step() -> None:
    assert assess(load_profile(EXAMPLES / "hr-policy-qa.yaml")).plan is None
    assert assess(load_profile(EXAMPLES / "config-dsl-generator.yaml")).plan is not None


def test_qlora_when_lora_does_not_fit() -> None:
    profile = finetune_profile(model={"preset": "llama-2-13b"}, hardware={"gpu_memory_gb": 24})
    plan = assess(profile).plan
    assert plan is not None and plan.method == "qlora"
    assert plan.memory.fits is True
    assert not estimate(preset("llama-2-13b"), Settings(method="lora")).fits(24)
    assert any("Dettmers et al. 2023" in item.source for item in plan.items)


def test_nothing_fits_says_so() -> None:
    plan = assess(
        finetune_profile(model={"preset": "llama-2-70b"}, hardware={"gpu_memory_gb": 16})
    ).plan
    assert plan is not None and plan.memory.fits is False
    assert any("Neither LoRA" in item.text for item in plan.items)


def test_full_finetuning_is_mentioned_only_with_ample_data_and_memory() -> None:
    small = assess(
        finetune_profile(model={"preset": "qwen2.5-0.5b"}, hardware={"gpu_memory_gb": 80})
    ).plan
    big = assess(
        finetune_profile(
            model={"preset": "qwen2.5-0.5b"},
            hardware={"gpu_memory_gb": 80},
            resources={**READY, "training_examples": 50_000},
        )
    ).plan
    assert not any("Full finetuning would fit" in i.text for i in small.items)
    assert any("Full finetuning would fit" in i.text for i in big.items)


@pytest.mark.parametrize(("examples", "epochs"), [(500, 4), (150_000, 2), (2_000_000, 1)])
def test_epochs_follow_dataset_size(examples: int, epochs: int) -> None:
    plan = assess(finetune_profile(resources={**READY, "training_examples": examples})).plan
    assert plan.hyperparameters.epochs == epochs


def test_assumptions_come_from_the_profile() -> None:
    profile = finetune_profile(
        model={"preset": "llama-3.1-8b"},
        hardware={"gpu_memory_gb": 80},
        training={"seq_len": 4096, "batch_size": 32, "lora_rank": 8},
    )
    plan = assess(profile).plan
    assert plan.lora.rank == 8 and plan.lora.alpha == 16
    h = plan.hyperparameters
    assert h.micro_batch * h.gradient_accumulation >= 32
    assert "sequence length 4096" in plan.assumptions[0]


def test_path_and_frameworks_follow_the_profile() -> None:
    distill = assess(load_profile(EXAMPLES / "ticket-classifier-distill.yaml")).plan
    assert distill is not None and distill.path == "distillation"
    novice = assess(finetune_profile(resources={**READY, "ml_expertise": "none"})).plan
    assert novice.frameworks == ("a provider's finetuning API",)
    multi = assess(finetune_profile(hardware={"gpu_memory_gb": 80, "gpu_count": 4})).plan
    assert "DeepSpeed" in multi.frameworks


def test_unknown_preset_is_an_input_error(profile_file, capsys) -> None:
    path = profile_file("version: 1\nname: x\nmodel:\n  preset: mistral-7\n")
    assert run(["assess", str(path)]) == 2
    assert (
        f"{path}:4: model.preset: unknown model 'mistral-7'; did you mean 'mistral-7b'"
        in capsys.readouterr().err
    )


def test_custom_architecture_in_the_profile() -> None:
    dims = {
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "intermediate_size": 11008,
        "num_attention_heads": 32,
        "vocab_size": 32000,
    }
    custom = assess(finetune_profile(model=dims, hardware={"gpu_memory_gb": 24})).plan
    named = assess(
        finetune_profile(model={"preset": "llama-2-7b"}, hardware={"gpu_memory_gb": 24})
    ).plan
    assert custom.memory.params == named.memory.params
    assert custom.memory.total_gb == named.memory.total_gb


def test_a_partial_custom_architecture_is_an_input_error(profile_file, capsys) -> None:
    path = profile_file("version: 1\nname: x\nmodel:\n  hidden_size: 4096\n")
    assert run(["assess", str(path)]) == 2
    assert "a custom architecture also needs num_hidden_layers" in capsys.readouterr().err


def test_several_tasks_get_the_multi_task_route() -> None:
    one = assess(finetune_profile()).plan
    three = assess(finetune_profile(training={"tasks": 3})).plan
    assert not any(i.topic == "multi-task" for i in one.items)
    (item,) = [i for i in three.items if i.topic == "multi-task"]
    assert "merging" in item.text and "Model Merging" in item.source


def test_learning_rates_read_as_powers_of_ten() -> None:
    from ftadvisor.plan.results import sci

    assert (sci(2e-4), sci(1e-5), sci(3e-3)) == ("2e-4", "1e-5", "3e-3")
    plan = assess(finetune_profile()).plan
    assert any(i.text.startswith("Learning rate 2e-4 ") for i in plan.items)


# ---- rev 2: the plan does not contradict the decision -----------------------------------


def test_cost_pressure_alone_does_not_put_the_plan_on_the_distillation_path() -> None:
    """Distillation waits until quality is met; before that the plan is a progression."""
    plan = assess(finetune_profile(needs={"lower_cost_or_latency": True})).plan
    assert plan is not None and plan.path == "progression"
    met = assess(load_profile(EXAMPLES / "ticket-router-cheaper.yaml")).plan
    assert met is not None and met.path == "distillation"


@pytest.mark.parametrize("batch", [6, 8, 9, 12, 32])
def test_the_effective_batch_is_the_one_asked_for(batch: int) -> None:
    for gpu in (12, 24, 80):
        plan = assess(
            finetune_profile(
                model={"preset": "mistral-7b"},
                hardware={"gpu_memory_gb": gpu},
                training={"batch_size": batch, "seq_len": 2048},
            )
        ).plan
        assert plan is not None
        h = plan.hyperparameters
        assert h.effective_batch == batch, (gpu, h)
        assert h.micro_batch * h.gradient_accumulation == batch


def test_the_plan_keeps_ten_percent_headroom_or_says_why_not() -> None:
    for gpu in (16, 18, 20, 24, 40, 80):
        plan = assess(
            finetune_profile(
                model={"preset": "mistral-7b"},
                hardware={"gpu_memory_gb": gpu},
                training={"batch_size": 16, "seq_len": 4096},
            )
        ).plan
        assert plan is not None and plan.memory is not None
        if not plan.memory.fits:
            continue
        capacity = gpu * 2**30 / 1e9
        tight = plan.memory.headroom_gb is not None and plan.memory.headroom_gb < 0.1 * capacity
        warned = any("Less than 10%" in i.text for i in plan.items)
        assert tight == warned, (gpu, plan.memory)
        if tight:
            assert plan.memory.micro_batch == 1, "steps down before it warns"


def test_the_plan_gives_the_training_time_on_cards_of_the_stated_size() -> None:
    from ftadvisor.plan.compute import training_time

    profile = finetune_profile(model={"preset": "llama-3.1-8b"}, hardware={"gpu_memory_gb": 80})
    plan = assess(profile).plan
    assert plan is not None
    (item,) = [i for i in plan.items if i.topic == "time"]
    assert item.source.startswith("Kaplan et al. 2020")
    assert "1,500 examples of up to 1,024 tokens, 4 epochs" in item.text
    assert "(A100-80GB, H100-SXM, H100-PCIe)" in item.text
    # the band runs from the fastest card's low end to the slowest card's high end
    arch, est = preset("llama-3.1-8b"), estimate(preset("llama-3.1-8b"), Settings())
    runs = {
        card: training_time(
            arch,
            method="lora",
            trainable=est.trainable_params,
            checkpointing=True,
            tokens=1500 * 1024,
            epochs=4,
            gpu_type=card,
            seq_len=1024,
        )
        for card in ("A100-80GB", "H100-SXM")
    }
    low, high = runs["H100-SXM"].hours[0] * 60, runs["A100-80GB"].hours[1]
    assert f"{low:.0f} min–{high:,.1f} h on 80 GB" in item.text
    unsized = assess(finetune_profile(model={"preset": "llama-3.1-8b"})).plan
    assert unsized is not None
    (work,) = [i for i in unsized.items if i.topic == "time"]
    assert work.text.startswith("Training work:") and "--gpu-type" in work.text
    no_data = finetune_profile(model={"preset": "llama-3.1-8b"})
    no_data = no_data.model_copy(
        update={"resources": no_data.resources.model_copy(update={"training_examples": None})}
    )
    plan = assess(no_data).plan
    assert plan is not None and not [i for i in plan.items if i.topic == "time"]
