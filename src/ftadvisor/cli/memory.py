"""`ftadvisor memory`: the options of the memory estimate, parsed and handed on.

Every choice list comes from `ftadvisor.choices` (typer checks a `Literal`); which
architecture the options name, and whether the settings make sense, is the library's
to decide.
"""

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from ftadvisor import choices


def _dimension(key: str, what: str) -> Any:
    return typer.Option(
        "--" + key.replace("_", "-"), metavar="N", help=f"{what} (config.json: {key})."
    )


def memory(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help=(
                "A model directory, a Hugging Face repo id in the local cache, or a preset "
                "(see --list); -Instruct/-chat variants resolve to their base."
            ),
        ),
    ] = None,
    params: Annotated[
        float | None,
        typer.Option("--params", metavar="BILLIONS", help="Only a size: a Llama-shaped model."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="A Hugging Face config.json, or a model directory (its safetensors headers too).",
        ),
    ] = None,
    hidden_size: Annotated[int | None, _dimension("hidden_size", "Model width")] = None,
    num_hidden_layers: Annotated[
        int | None, _dimension("num_hidden_layers", "Decoder layers")
    ] = None,
    intermediate_size: Annotated[
        int | None, _dimension("intermediate_size", "Feed-forward width")
    ] = None,
    num_attention_heads: Annotated[
        int | None, _dimension("num_attention_heads", "Query heads")
    ] = None,
    num_key_value_heads: Annotated[
        int | None, _dimension("num_key_value_heads", "Key/value heads (default: query heads)")
    ] = None,
    head_dim: Annotated[
        int | None, _dimension("head_dim", "Width of a head (default: width / heads)")
    ] = None,
    vocab_size: Annotated[int | None, _dimension("vocab_size", "Vocabulary size")] = None,
    tie_word_embeddings: Annotated[
        bool,
        typer.Option(
            "--tie-word-embeddings",
            help="Input and output embeddings share one matrix (config.json: tie_word_embeddings).",
        ),
    ] = False,
    method: Annotated[
        choices.Method, typer.Option("--method", help="What to run.", case_sensitive=False)
    ] = "lora",
    precision: Annotated[
        choices.TrainingPrecision,
        typer.Option(
            "--precision",
            help="Training precision; int8 and int4 are for inference.",
            case_sensitive=False,
        ),
    ] = "mixed-bf16",
    optimizer: Annotated[
        choices.Optimizer,
        typer.Option(
            "--optimizer", help="Optimizer (its states per parameter).", case_sensitive=False
        ),
    ] = "adamw",
    batch: Annotated[int, typer.Option("--batch", metavar="N", help="Micro-batch per GPU.")] = 1,
    seq_len: Annotated[
        int,
        typer.Option(
            "--seq-len", metavar="TOKENS", help="Tokens per sequence (inference: the prompt)."
        ),
    ] = 1024,
    new_tokens: Annotated[
        int,
        typer.Option(
            "--new-tokens",
            metavar="TOKENS",
            help="Inference: tokens generated after the prompt (held in the KV cache too).",
        ),
    ] = 0,
    rank: Annotated[int, typer.Option("--rank", metavar="R", help="LoRA rank.")] = 16,
    targets: Annotated[
        str,
        typer.Option(
            "--targets",
            metavar="LIST",
            help=f"LoRA targets, comma-separated, from {','.join(choices.TARGETS)}.",
        ),
    ] = "q,k,v,o",
    gradient_checkpointing: Annotated[
        bool,
        typer.Option(
            "--gradient-checkpointing/--no-gradient-checkpointing",
            help="Recompute activations in the backward pass.",
        ),
    ] = True,
    attention: Annotated[
        choices.Attention,
        typer.Option(
            "--attention",
            help="eager stores the attention scores; sdpa/flash do not.",
            case_sensitive=False,
        ),
    ] = "sdpa",
    double_quant: Annotated[
        bool,
        typer.Option(
            "--double-quant/--no-double-quant",
            help="QLoRA: quantize the quantization constants too (bitsandbytes' default in QLoRA).",
        ),
    ] = True,
    loss: Annotated[
        choices.Loss,
        typer.Option(
            "--loss",
            help="hf: Hugging Face's usual loss (12 fp32 bytes a logit); chunked or fused.",
            case_sensitive=False,
        ),
    ] = "hf",
    device: Annotated[
        choices.Device,
        typer.Option(
            "--device",
            help="cuda, or cpu (no CUDA allowance, AdamW's for-loop step).",
            case_sensitive=False,
        ),
    ] = "cuda",
    optimizer_impl: Annotated[
        choices.OptimizerImpl | None,
        typer.Option(
            "--optimizer-impl",
            help="AdamW's code path (default: foreach on cuda, forloop on cpu).",
            case_sensitive=False,
        ),
    ] = None,
    adapter_precision: Annotated[
        choices.AdapterPrecision,
        typer.Option(
            "--adapter-precision",
            help="LoRA adapters in fp32 (PEFT's default) or the compute precision (LitGPT).",
            case_sensitive=False,
        ),
    ] = "fp32",
    framework: Annotated[
        choices.Framework,
        typer.Option(
            "--framework",
            help="Whose layers: hf (transformers and PEFT) or litgpt; they keep different "
            "activations.",
            case_sensitive=False,
        ),
    ] = "hf",
    lora_dropout: Annotated[
        float,
        typer.Option(
            "--lora-dropout",
            metavar="P",
            help="LoRA's input dropout (PEFT's default 0; LitGPT's configs 0.05).",
        ),
    ] = 0.0,
    gpus: Annotated[
        int, typer.Option("--gpus", metavar="N", help="GPUs the run is spread over.")
    ] = 1,
    sharding: Annotated[
        choices.Sharding | None,
        typer.Option(
            "--sharding",
            help=(
                "What is split over the GPUs: none (DDP), zero1 (optimizer states), zero2 "
                "(and gradients; the default for several), zero3 or fsdp (and the weights)."
            ),
            case_sensitive=False,
        ),
    ] = None,
    gpu: Annotated[str | None, typer.Option("--gpu", hidden=True)] = None,
    gpu_memory: Annotated[
        float | None,
        typer.Option("--gpu-memory", metavar="GB", help="Memory of one GPU, as on its spec sheet."),
    ] = None,
    top_layers: Annotated[
        int, typer.Option("--top-layers", metavar="N", help="For partial: top layers trained.")
    ] = 2,
    virtual_tokens: Annotated[
        int,
        typer.Option(
            "--virtual-tokens", metavar="N", help="For prompt-tuning: soft-prompt length."
        ),
    ] = 20,
    tokens: Annotated[
        int | None,
        typer.Option("--tokens", metavar="N", help="Training tokens per epoch, for the time."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", metavar="TRAIN.jsonl", help="Training tokens per epoch from this file."
        ),
    ] = None,
    epochs: Annotated[
        float, typer.Option("--epochs", metavar="N", help="Passes over the tokens.")
    ] = 3,
    gpu_type: Annotated[
        str | None,
        typer.Option(
            "--gpu-type",
            metavar="NAME",
            help="The card, for time (and its memory, without --gpu-memory): A100-80GB, H100, L4…",
        ),
    ] = None,
    price_per_gpu_hour: Annotated[
        float | None,
        typer.Option("--price-per-gpu-hour", metavar="USD", help="For the cost of the run."),
    ] = None,
    output_format: Annotated[
        Literal["text", "json"],
        typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
    ] = "text",
    list_models: Annotated[bool, typer.Option("--list", help="List the model presets.")] = False,
) -> None:
    """Estimate GPU memory for inference or finetuning, by component."""
    from ftadvisor.errors import UserError
    from ftadvisor.plan import architecture, memory, models

    if gpu is not None:
        raise UserError(
            f"--gpu {gpu}: did you mean --gpu-memory {gpu} (GB of one GPU), or --gpus N (how many)?"
        )

    if list_models:
        for arch in architecture.distinct_presets():
            active = f"  ({arch.active_params / 1e9:.2f}B active)" if arch.moe else ""
            typer.echo(f"{arch.name:<18} {arch.params / 1e9:8.2f}B{active}")
        return
    custom: dict[str, Any] = {
        "hidden_size": hidden_size,
        "num_hidden_layers": num_hidden_layers,
        "intermediate_size": intermediate_size,
        "num_attention_heads": num_attention_heads,
        "num_key_value_heads": num_key_value_heads,
        "head_dim": head_dim,
        "vocab_size": vocab_size,
    }
    if any(v is not None for v in custom.values()):
        custom["tie_word_embeddings"] = tie_word_embeddings
    arch = models.resolve(model=model, params=params, config=config, custom=custom)
    settings = memory.Settings(
        method=method.lower(),  # type: ignore[arg-type]
        precision=precision.lower(),  # type: ignore[arg-type]
        optimizer=optimizer.lower(),  # type: ignore[arg-type]
        batch=batch,
        seq_len=seq_len,
        rank=rank,
        targets=memory.parse_targets(targets),
        gradient_checkpointing=gradient_checkpointing,
        attention=attention.lower(),  # type: ignore[arg-type]
        gpus=gpus,
        top_layers=top_layers,
        virtual_tokens=virtual_tokens,
        double_quant=double_quant,
        sharding=sharding.lower() if sharding else None,  # type: ignore[arg-type]
        loss=loss.lower(),  # type: ignore[arg-type]
        device=device.lower(),  # type: ignore[arg-type]
        optimizer_impl=optimizer_impl.lower() if optimizer_impl else None,  # type: ignore[arg-type]
        adapter_precision=adapter_precision.lower(),  # type: ignore[arg-type]
        new_tokens=new_tokens,
        framework=framework.lower(),  # type: ignore[arg-type]
        lora_dropout=lora_dropout,
    )
    card = None
    if gpu_type is not None:
        from ftadvisor.plan import compute

        card = compute.gpu(gpu_type)
        gpu_memory = gpu_memory or card.memory_gb
    estimate = memory.estimate(arch, settings)
    doc = memory.report(estimate, gpu_memory)
    if data is not None or tokens is not None:
        from ftadvisor.plan import compute

        if data is not None and tokens is not None:
            raise UserError("give --tokens or --data, not both")
        source = "--tokens"
        if data is not None:
            from ftadvisor.inputs.training import inspect_file

            report = inspect_file(data)
            if report.tokens is None or not report.tokens.total:
                raise UserError(f"{data}: no usable examples to count tokens in")
            tokens, source = report.tokens.total, f"{data} ({report.tokens.method} tokens)"
        if card is None:
            raise UserError("the training time needs the card: add --gpu-type (e.g. A100-80GB)")
        assert tokens is not None
        doc["training_time"] = compute.training_time(
            arch,
            method=settings.method,
            trainable=estimate.trainable_params,
            checkpointing=settings.gradient_checkpointing,
            tokens=tokens,
            epochs=epochs,
            gpu_type=card.name,
            seq_len=settings.seq_len,
            gpus=gpus,
            price_per_gpu_hour=price_per_gpu_hour,
            tokens_from=source,
        ).document()
    if output_format.lower() == "json":
        import json

        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        from ftadvisor.render.memory import render

        render(doc, sys.stdout)
