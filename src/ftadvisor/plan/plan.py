"""The finetuning plan: method, memory fit, LoRA settings, starting hyperparameters,
development path and frameworks, from the profile's model, hardware and resources.

Every suggestion carries its source; every assumption is in the profile's `training`
section (with defaults) and is listed with the plan, so a team can change it.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from ftadvisor.advice.results import Plan, PlanItem
from ftadvisor.plan import memory as mem
from ftadvisor.plan.architecture import Architecture, from_hf_config, from_params, preset
from ftadvisor.profile.model import Profile
from ftadvisor.rules.loader import RuleSet

_TARGETS = ("q", "k", "v", "o")


def make_plan(rules: RuleSet, profile: Profile, distillation: bool) -> Plan:
    def cite(source: str, section: str | None = None) -> str:
        base = rules.sources[source].cite
        return f"{base}, {section}" if section else base

    items: list[PlanItem] = []

    def say(topic: str, text: str, source: str) -> None:
        items.append(PlanItem(topic=topic, text=text, source=source))

    training = profile.training
    hardware = profile.hardware
    examples = profile.resources.training_examples
    gpus = hardware.gpu_count if hardware else 1
    gpu_gb = hardware.gpu_memory_gb if hardware else None
    arch = _architecture(profile)
    settings = mem.Settings(
        method="lora",
        precision="mixed-bf16",
        optimizer=training.optimizer,
        batch=1,
        seq_len=training.seq_len,
        rank=training.lora_rank,
        targets=_TARGETS,
        gradient_checkpointing=training.gradient_checkpointing,
        attention=training.attention,
        gpus=gpus,
    )
    assumptions = [
        f"sequence length {training.seq_len}, effective batch {training.batch_size}, "
        f"{training.optimizer}, {training.attention} attention, gradient checkpointing "
        f"{'on' if training.gradient_checkpointing else 'off'}, LoRA rank {training.lora_rank} "
        "(profile key `training`)",
        "mixed bf16 precision with fp32 master weights and optimizer states",
    ]

    method = "lora"
    memory: dict[str, Any] | None = None
    fits: bool | None = None
    micro_batch = None
    if arch is None:
        say(
            "memory",
            "Set model.preset (or model.params_billion) and hardware.gpu_memory_gb "
            "to check that the run fits.",
            cite("huyen-2025", "Memory Math"),
        )
    else:
        lora = mem.estimate(arch, settings)
        chosen = lora
        if gpu_gb is not None and not lora.fits(gpu_gb):
            qlora = mem.estimate(arch, settings._replace(method="qlora"))
            if qlora.fits(gpu_gb):
                method, chosen = "qlora", qlora
                say(
                    "method",
                    f"LoRA needs {lora.total_gb:.1f} GB, more than one {gpu_gb:g} GB "
                    f"GPU; QLoRA keeps the frozen base in 4-bit NF4 and needs "
                    f"{qlora.total_gb:.1f} GB, at some cost in speed.",
                    cite("dettmers-2023"),
                )
            else:
                say(
                    "method",
                    f"Neither LoRA ({lora.total_gb:.1f} GB) nor QLoRA "
                    f"({qlora.total_gb:.1f} GB) fits one {gpu_gb:g} GB GPU: choose a "
                    "smaller base model, add GPUs, or use a finetuning API.",
                    cite("huyen-2025", "Memory Math"),
                )
        fits = chosen.fits(gpu_gb) if gpu_gb is not None else None
        if gpu_gb is not None and fits:
            micro_batch = mem.largest(
                arch, chosen.settings, gpu_gb, "batch", limit=training.batch_size
            )
            chosen = mem.estimate(arch, chosen.settings._replace(batch=micro_batch or 1))
        memory = {
            "model": arch.name,
            "micro_batch": chosen.settings.batch,
            "params": chosen.params,
            "trainable_params": chosen.trainable_params,
            "total_gb": round(chosen.total_gb, 2),
            "breakdown": {k: round(v / mem.GB, 2) for k, v in chosen.breakdown.items()},
            "gpu_memory_gb": gpu_gb,
            "gpus": gpus,
            "fits": fits,
            "headroom_gb": round(chosen.headroom_gb(gpu_gb), 2) if gpu_gb else None,
        }
        assumptions.extend(chosen.assumptions)
        full = mem.estimate(arch, settings._replace(method="full"))
        if examples >= 10_000 and gpu_gb is not None and full.fits(gpu_gb):
            say(
                "method",
                f"Full finetuning would fit too ({full.total_gb:.1f} GB) and "
                f"{examples:,} examples is enough for it; move to it only if LoRA "
                "falls short.",
                cite("huyen-2025", "Finetuning Tactics"),
            )
    if method == "lora":
        say(
            "method",
            "Start with LoRA: parameter-efficient, data-efficient, no added inference "
            "latency once merged; full finetuning only if it falls short and data "
            "is plentiful.",
            cite("huyen-2025", "Finetuning Tactics"),
        )
    say(
        "method",
        "Soft prompts (prompt or prefix tuning) are the lightest option, between "
        "prompting and finetuning, if the model must stay untouched.",
        cite("huyen-2025", "PEFT techniques"),
    )

    rank = training.lora_rank
    lora_settings = {"targets": list(_TARGETS), "rank": rank, "alpha": 2 * rank}
    say(
        "lora",
        f"Adapt all four attention matrices (q, k, v, o) at rank {rank}: for a fixed "
        "budget, all four at a low rank beat one at a high rank; add the feed-forward "
        "matrices if quality still falls short.",
        cite("hu-2021"),
    )
    say(
        "lora",
        f"alpha {2 * rank} (2:1), inside the usual 1:8 to 8:1; ranks 4 to 64 usually suffice.",
        cite("huyen-2025", "LoRA configurations"),
    )

    learning_rate = 2e-4 if method in ("lora", "qlora") else 1e-5
    micro = micro_batch or 1
    accumulation = math.ceil(training.batch_size / micro)
    epochs, epochs_range = _epochs(examples)
    hyper = {
        "learning_rate": learning_rate,
        "micro_batch": micro,
        "gradient_accumulation": accumulation,
        "effective_batch": micro * accumulation,
        "epochs": epochs,
        "epochs_range": epochs_range,
        "prompt_loss_weight": 0.1,
    }
    say(
        "hyperparameters",
        f"Learning rate {sci(learning_rate)} to start (inside the usual 1e-7 "
        "to 1e-3); lower it if the loss fluctuates, raise it if it falls "
        "too slowly.",
        cite("huyen-2025", "Finetuning hyperparameters"),
    )
    say(
        "hyperparameters",
        f"Micro-batch {micro} × {accumulation} accumulation steps = "
        f"{micro * accumulation}: batches much below 8 train unstably, and "
        "gradient accumulation gets there without the memory.",
        cite("huyen-2025", "Finetuning hyperparameters"),
    )
    say(
        "hyperparameters",
        f"{epochs} epochs for {examples:,} examples (range {epochs_range}); "
        "stop when validation loss turns up while training loss falls.",
        cite("huyen-2025", "Finetuning hyperparameters"),
    )

    path: Literal["progression", "distillation"] = (
        "distillation" if distillation or profile.needs.lower_cost_or_latency else "progression"
    )
    if path == "distillation":
        say(
            "path",
            "Distillation: finetune the strongest affordable model on a small set, "
            "let it generate more data, and train the cheaper model on that.",
            cite("huyen-2025", "Finetuning Tactics"),
        )
    else:
        say(
            "path",
            "Progression: check the code on the cheapest model, the data on a middling "
            "one, push with the best, then map price against quality.",
            cite("huyen-2025", "Finetuning Tactics"),
        )

    if training.tasks > 1:
        say(
            "multi-task",
            f"{training.tasks} tasks: training on all at once needs more data, "
            "one after another risks forgetting the earlier ones; training one "
            "adapter per task in parallel and merging them (or serving them as "
            "separate LoRA adapters on one base) avoids both.",
            cite("huyen-2025", "Model Merging and Multi-Task Finetuning"),
        )
    resources = profile.resources
    if resources.ml_expertise == "none" or not resources.can_serve_custom_model:
        frameworks = ["a provider's finetuning API"]
        say(
            "frameworks",
            "A finetuning API is the quickest start and serves the result; it "
            "offers fewer knobs and fewer base models.",
            cite("huyen-2025", "Finetuning frameworks"),
        )
    else:
        frameworks = ["PEFT", "Axolotl", "unsloth", "LLaMA-Factory", "LitGPT"]
        if gpus > 1:
            frameworks += ["DeepSpeed", "PyTorch FSDP"]
        say(
            "frameworks",
            ", ".join(frameworks)
            + " support LoRA and QLoRA"
            + ("; DeepSpeed or FSDP spread a run over several GPUs." if gpus > 1 else "."),
            cite("huyen-2025", "Finetuning frameworks"),
        )
    return Plan(
        method=method,
        memory=memory,
        lora=lora_settings,
        hyperparameters=hyper,
        path=path,
        frameworks=tuple(frameworks),
        assumptions=tuple(assumptions),
        items=tuple(items),
    )


def sci(value: float) -> str:
    """2e-4 rather than 0.0002 or 2e-04."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _architecture(profile: Profile) -> Architecture | None:
    model = profile.model
    if model is None:
        return None
    if model.preset:
        return preset(model.preset)
    if model.hidden_size is not None:
        return from_hf_config(model.model_dump(), "custom (profile model section)")
    if model.params_billion:
        return from_params(model.params_billion)
    return None


def _epochs(examples: int) -> tuple[int, str]:
    """Huyen 2025 ch. 7: 1–2 epochs for millions of examples, 4–10 for thousands."""
    if examples >= 1_000_000:
        return 1, "1–2"
    if examples >= 100_000:
        return 2, "2–3"
    return 4, "4–10"
