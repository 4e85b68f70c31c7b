"""The finetuning plan: method, memory fit, LoRA settings, starting hyperparameters,
development path and frameworks, from the profile's model, hardware and resources.

Each part of the plan is one small function below, with its thresholds named at the top
of the module; every piece of advice carries its source, and every assumption comes from
the profile's `training` section (with its defaults) and is listed with the plan, so a
team can see and change it.
"""

from __future__ import annotations

import dataclasses
import math

from ftadvisor.choices import Method, Target
from ftadvisor.plan import memory as mem
from ftadvisor.plan.architecture import Architecture, from_hf_config, from_params
from ftadvisor.plan.models import named
from ftadvisor.plan.results import (
    Hyperparameters,
    LoraSettings,
    MemoryFit,
    Path,
    Plan,
    PlanItem,
    sci,
)
from ftadvisor.profile.model import Profile, Training
from ftadvisor.rules.loader import RuleSet

LORA_TARGETS: tuple[Target, ...] = ("q", "k", "v", "o")
"""Hu et al. 2021: all four attention matrices at a low rank beat one at a high rank."""
LORA_ALPHA_PER_RANK = 2
PEFT_LEARNING_RATE = 2e-4
FULL_LEARNING_RATE = 1e-5
HEADROOM_SHARE = 0.10
"""Less free memory than this share of the GPU risks out-of-memory errors from
fragmentation and from spikes the estimate does not model: the plan steps down."""
FULL_FINETUNE_MIN_EXAMPLES = 10_000
"""Below this, full finetuning is not worth mentioning even when it fits."""
PROMPT_LOSS_WEIGHT = 0.1
EPOCHS: tuple[tuple[int, int, str], ...] = (
    (1_000_000, 1, "1–2"),
    (100_000, 2, "2–3"),
    (0, 4, "4–10"),
)
"""(at least this many examples, epochs, usual range). Huyen 2025 ch. 7: 1–2 epochs for
millions of examples, 4–10 for thousands."""
API_FRAMEWORKS = ("a provider's finetuning API",)
OPEN_FRAMEWORKS = ("PEFT", "Axolotl", "unsloth", "LLaMA-Factory", "LitGPT")
MULTI_GPU_FRAMEWORKS = ("DeepSpeed", "PyTorch FSDP")


@dataclasses.dataclass
class _Notes:
    """The plan's advice in the order it is given, each cited from the rule set."""

    rules: RuleSet
    items: list[PlanItem] = dataclasses.field(default_factory=list)

    def say(
        self,
        topic: str,
        text: str,
        source: str,
        section: str | None = None,
        *,
        detail: bool = False,
    ) -> None:
        cite = self.rules.sources[source].cite
        where = f"{cite}, {section}" if section else cite
        self.items.append(PlanItem(topic=topic, text=text, source=where, detail=detail))


def make_plan(rules: RuleSet, profile: Profile, distillation: bool) -> Plan:
    notes = _Notes(rules)
    training = profile.training
    hardware = profile.hardware
    gpus = hardware.gpu_count if hardware else 1
    gpu_gb = hardware.gpu_memory_gb if hardware else None
    examples = profile.resources.training_examples
    assumptions = [
        _training_assumption(training),
        "mixed bf16 precision with fp32 master weights and optimizer states",
    ]

    arch = _architecture(profile)
    method: Method = "lora"
    fit: MemoryFit | None = None
    chosen: mem.Estimate | None = None
    micro_batch: int | None = None
    if arch is None:
        notes.say(
            "memory",
            "Set model.preset (or model.params_billion) and hardware.gpu_memory_gb "
            "to check that the run fits.",
            "huyen-2025",
            "Memory Math",
            detail=True,  # about keys the questionnaire never asks: not in the short report
        )
    else:
        settings = _settings(training, gpus)
        method, chosen = _choose_method(arch, settings, gpu_gb, notes)
        fit, chosen = _memory_fit(arch, chosen, gpu_gb, gpus, training.batch_size, notes)
        micro_batch = fit.micro_batch if fit.fits else None
        assumptions.extend(chosen.assumptions)
        _mention_full_finetuning(arch, settings, gpu_gb, examples, notes)
    if method == "lora":
        notes.say(
            "method",
            "Start with LoRA: parameter-efficient, data-efficient, no added inference "
            "latency once merged; full finetuning only if it falls short and data "
            "is plentiful.",
            "huyen-2025",
            "Finetuning Tactics",
            detail=True,
        )
    notes.say(
        "method",
        "Soft prompts (prompt or prefix tuning) are the lightest option, between "
        "prompting and finetuning, if the model must stay untouched.",
        "huyen-2025",
        "PEFT techniques",
        detail=True,
    )
    lora = _lora(training.lora_rank, notes)
    hyperparameters = _hyperparameters(method, micro_batch or 1, training, examples, notes)
    if arch is not None and chosen is not None and examples:
        _training_time(arch, chosen, examples, hyperparameters.epochs, gpu_gb, gpus, notes)
    path = _path(distillation, notes)
    if training.tasks > 1:
        _multi_task(training.tasks, notes)
    frameworks = _frameworks(profile, gpus, notes)
    return Plan(
        method=method,
        memory=fit,
        lora=lora,
        hyperparameters=hyperparameters,
        path=path,
        frameworks=frameworks,
        assumptions=tuple(assumptions),
        items=tuple(notes.items),
    )


def _training_assumption(training: Training) -> str:
    checkpointing = "on" if training.gradient_checkpointing else "off"
    return (
        f"sequence length {training.seq_len}, effective batch {training.batch_size}, "
        f"{training.optimizer}, {training.attention} attention, gradient checkpointing "
        f"{checkpointing}, LoRA rank {training.lora_rank} (profile key `training`)"
    )


def _settings(training: Training, gpus: int) -> mem.Settings:
    return mem.Settings(
        method="lora",
        precision="mixed-bf16",
        optimizer=training.optimizer,
        batch=1,
        seq_len=training.seq_len,
        rank=training.lora_rank,
        targets=LORA_TARGETS,
        gradient_checkpointing=training.gradient_checkpointing,
        attention=training.attention,
        gpus=gpus,
        sharding=training.sharding,
    )


def _choose_method(
    arch: Architecture, settings: mem.Settings, gpu_gb: float | None, notes: _Notes
) -> tuple[Method, mem.Estimate]:
    """LoRA when it fits; QLoRA (Dettmers et al. 2023) when only the 4-bit base fits."""
    lora = mem.estimate(arch, settings)
    if gpu_gb is None or lora.fits(gpu_gb):
        return "lora", lora
    if settings.gpus > 1 and settings.sharding is None:
        sharded = mem.estimate(arch, settings._replace(sharding="fsdp"))
        if sharded.fits(gpu_gb):
            notes.say(
                "method",
                f"LoRA needs {lora.total_gb:.1f} GB per GPU with the weights on every GPU; "
                f"sharded over the {settings.gpus} GPUs (FSDP full shard) it needs "
                f"{sharded.total_gb:.1f} GB, which fits.",
                "huyen-2025",
                "Memory Math",
            )
            return "lora", sharded
    qlora = mem.estimate(arch, settings._replace(method="qlora"))
    if qlora.fits(gpu_gb):
        notes.say(
            "method",
            f"LoRA needs {lora.total_gb:.1f} GB, more than one {gpu_gb:g} GB "
            f"GPU; QLoRA keeps the frozen base in 4-bit NF4 and needs "
            f"{qlora.total_gb:.1f} GB, at some cost in speed.",
            "dettmers-2023",
        )
        return "qlora", qlora
    notes.say(
        "method",
        f"Neither LoRA ({lora.total_gb:.1f} GB) nor QLoRA "
        f"({qlora.total_gb:.1f} GB) fits one {gpu_gb:g} GB GPU: choose a "
        "smaller base model, add GPUs, or use a finetuning API.",
        "huyen-2025",
        "Memory Math",
    )
    return "lora", lora


def _memory_fit(
    arch: Architecture,
    chosen: mem.Estimate,
    gpu_gb: float | None,
    gpus: int,
    batch_size: int,
    notes: _Notes,
) -> tuple[MemoryFit, mem.Estimate]:
    """The chosen method's estimate at the largest micro-batch that fits with headroom
    and divides the effective batch, so that accumulation gives exactly the batch asked
    for, when the GPU memory is known."""
    fits = chosen.fits(gpu_gb) if gpu_gb is not None else None
    if gpu_gb is not None and fits:
        largest = mem.largest(arch, chosen.settings, gpu_gb, "batch", limit=batch_size) or 1
        divisors = [d for d in range(largest, 0, -1) if batch_size % d == 0]
        micro = divisors[0]
        trial = mem.estimate(arch, chosen.settings._replace(batch=micro))
        for smaller in divisors[1:]:
            if trial.headroom_gb(gpu_gb) >= HEADROOM_SHARE * gpu_gb * mem.GIB / mem.GB:
                break
            micro, trial = smaller, mem.estimate(arch, chosen.settings._replace(batch=smaller))
        chosen = trial
        if chosen.headroom_gb(gpu_gb) < HEADROOM_SHARE * gpu_gb * mem.GIB / mem.GB:
            notes.say(
                "memory",
                f"Less than {HEADROOM_SHARE:.0%} of the {gpu_gb:g} GB is left free even at "
                f"micro-batch {micro} ({chosen.headroom_gb(gpu_gb):.1f} GB): a run this "
                "close to the limit can fail on fragmentation; shorten the sequences, "
                "use QLoRA or a larger GPU.",
                "huyen-2025",
                "Memory Math",
            )
    fit = MemoryFit(
        model=arch.name,
        micro_batch=chosen.settings.batch,
        params=chosen.params,
        trainable_params=chosen.trainable_params,
        total_gb=round(chosen.total_gb, 2),
        breakdown={k: round(v / mem.GB, 2) for k, v in chosen.breakdown.items()},
        gpu_memory_gb=gpu_gb,
        gpus=gpus,
        fits=fits,
        headroom_gb=round(chosen.headroom_gb(gpu_gb), 2) if gpu_gb else None,
        sharding=chosen.settings.split,
    )
    return fit, chosen


def _mention_full_finetuning(
    arch: Architecture,
    settings: mem.Settings,
    gpu_gb: float | None,
    examples: int | None,
    notes: _Notes,
) -> None:
    if examples is None or examples < FULL_FINETUNE_MIN_EXAMPLES or gpu_gb is None:
        return
    full = mem.estimate(arch, settings._replace(method="full"))
    if full.fits(gpu_gb):
        notes.say(
            "method",
            f"Full finetuning would fit too ({full.total_gb:.1f} GB) and "
            f"{examples:,} examples is enough for it; move to it only if LoRA "
            "falls short.",
            "huyen-2025",
            "Finetuning Tactics",
        )


def _lora(rank: int, notes: _Notes) -> LoraSettings:
    alpha = LORA_ALPHA_PER_RANK * rank
    notes.say(
        "lora",
        f"Adapt all four attention matrices (q, k, v, o) at rank {rank}: for a fixed "
        "budget, all four at a low rank beat one at a high rank; add the feed-forward "
        "matrices if quality still falls short.",
        "hu-2021",
        detail=True,
    )
    notes.say(
        "lora",
        f"alpha {alpha} (2:1), inside the usual 1:8 to 8:1; ranks 4 to 64 usually suffice.",
        "huyen-2025",
        "LoRA configurations",
        detail=True,
    )
    return LoraSettings(targets=LORA_TARGETS, rank=rank, alpha=alpha)


def _hyperparameters(
    method: Method, micro: int, training: Training, examples: int | None, notes: _Notes
) -> Hyperparameters:
    learning_rate = PEFT_LEARNING_RATE if method in ("lora", "qlora") else FULL_LEARNING_RATE
    accumulation = math.ceil(training.batch_size / micro)
    epochs, epochs_range = next((e, r) for floor, e, r in EPOCHS if (examples or 0) >= floor)
    data = f"{examples:,} examples" if examples is not None else "an unstated number of examples"
    section = "Finetuning hyperparameters"
    notes.say(
        "hyperparameters",
        f"Learning rate {sci(learning_rate)} to start (inside the usual 1e-7 "
        "to 1e-3); lower it if the loss fluctuates, raise it if it falls "
        "too slowly.",
        "huyen-2025",
        section,
        detail=True,
    )
    notes.say(
        "hyperparameters",
        f"Micro-batch {micro} × {accumulation} accumulation steps = "
        f"{micro * accumulation}: batches much below 8 train unstably, and "
        "gradient accumulation gets there without the memory.",
        "huyen-2025",
        section,
        detail=True,
    )
    notes.say(
        "hyperparameters",
        f"{epochs} epochs for {data} (range {epochs_range}); "
        "stop when validation loss turns up while training loss falls.",
        "huyen-2025",
        section,
        detail=True,
    )
    return Hyperparameters(
        learning_rate=learning_rate,
        micro_batch=micro,
        gradient_accumulation=accumulation,
        effective_batch=micro * accumulation,
        epochs=epochs,
        epochs_range=epochs_range,
        prompt_loss_weight=PROMPT_LOSS_WEIGHT,
    )


def _training_time(
    arch: Architecture,
    chosen: mem.Estimate,
    examples: int,
    epochs: int,
    gpu_gb: float | None,
    gpus: int,
    notes: _Notes,
) -> None:
    """FLOPs and hours as a band, for the cards of the stated size in `gpus.yaml`.
    Every example is taken to fill the sequence length: an upper bound on the tokens,
    which `ftadvisor data` replaces with the file's count."""
    from ftadvisor.plan import compute

    s = chosen.settings
    tokens = examples * s.seq_len
    flops = compute.training_flops(
        arch,
        method=s.method,
        trainable=chosen.trainable_params,
        checkpointing=s.gradient_checkpointing,
        tokens=tokens * epochs,
        seq_len=s.seq_len,
    )
    names = list(dict.fromkeys(g.name for g in compute.gpus().values() if g.memory_gb == gpu_gb))
    runs = [
        compute.training_time(
            arch,
            method=s.method,
            trainable=chosen.trainable_params,
            checkpointing=s.gradient_checkpointing,
            tokens=tokens,
            epochs=epochs,
            gpu_type=name,
            gpus=gpus,
            seq_len=s.seq_len,
        )
        for name in names
    ]
    work = (
        f"{examples:,} examples of up to {s.seq_len:,} tokens, {epochs} epochs: "
        f"{flops[0]:.1e}–{flops[1]:.1e} FLOPs"
    )
    if runs:
        low = min(r.hours[0] for r in runs)
        high = max(r.hours[1] for r in runs)
        where = f"{gpus} × " if gpus > 1 else ""
        text = (
            f"Training time: {work}, {_hours(low)}–{_hours(high)} on {where}{gpu_gb:g} GB "
            f"({', '.join(names)}) at {compute.MFU_BAND[0]:.0%}–{compute.MFU_BAND[1]:.0%} "
            "of their peak; `ftadvisor memory --data TRAIN.jsonl --gpu-type` narrows it."
        )
    else:
        text = (
            f"Training work: {work}; `ftadvisor memory --data TRAIN.jsonl --gpu-type` "
            "turns it into hours on a card."
        )
    notes.say("time", text, "kaplan-2020")


def _hours(hours: float) -> str:
    return f"{hours * 60:.0f} min" if hours * 60 < 59.5 else f"{hours:,.1f} h"


def _path(distillation: bool, notes: _Notes) -> Path:
    if distillation:
        notes.say(
            "path",
            "Distillation: finetune the strongest affordable model on a small set, "
            "let it generate more data, and train the cheaper model on that.",
            "huyen-2025",
            "Finetuning Tactics",
            detail=True,
        )
        return "distillation"
    notes.say(
        "path",
        "Progression: check the code on the cheapest model, the data on a middling "
        "one, push with the best, then map price against quality.",
        "huyen-2025",
        "Finetuning Tactics",
        detail=True,
    )
    return "progression"


def _multi_task(tasks: int, notes: _Notes) -> None:
    notes.say(
        "multi-task",
        f"{tasks} tasks: training on all at once needs more data, "
        "one after another risks forgetting the earlier ones; training one "
        "adapter per task in parallel and merging them (or serving them as "
        "separate LoRA adapters on one base) avoids both.",
        "huyen-2025",
        "Model Merging and Multi-Task Finetuning",
    )


def _frameworks(profile: Profile, gpus: int, notes: _Notes) -> tuple[str, ...]:
    resources = profile.resources
    section = "Finetuning frameworks"
    if resources.ml_expertise == "none" or resources.can_serve_custom_model is False:
        notes.say(
            "frameworks",
            "A finetuning API is the quickest start and serves the result; it "
            "offers fewer knobs and fewer base models.",
            "huyen-2025",
            section,
            detail=True,
        )
        return API_FRAMEWORKS
    frameworks = OPEN_FRAMEWORKS + (MULTI_GPU_FRAMEWORKS if gpus > 1 else ())
    spread = "; DeepSpeed or FSDP spread a run over several GPUs." if gpus > 1 else "."
    notes.say(
        "frameworks",
        ", ".join(frameworks) + " support LoRA and QLoRA" + spread,
        "huyen-2025",
        section,
        detail=True,
    )
    return frameworks


def _architecture(profile: Profile) -> Architecture | None:
    model = profile.model
    if model is None:
        return None
    if model.preset:
        return named(model.preset)
    if model.hidden_size is not None:
        return from_hf_config(model.model_dump(), "custom (profile model section)")
    if model.params_billion:
        return from_params(model.params_billion)
    return None
