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


def memory(
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="A preset alias or Hugging Face repo id (see --list)."),
    ] = None,
    params: Annotated[
        float | None, typer.Option("--params", help="Billions of parameters (Llama-shaped).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="A Hugging Face config.json.")
    ] = None,
    hidden_size: Annotated[int | None, typer.Option("--hidden-size")] = None,
    num_hidden_layers: Annotated[int | None, typer.Option("--num-hidden-layers")] = None,
    intermediate_size: Annotated[int | None, typer.Option("--intermediate-size")] = None,
    num_attention_heads: Annotated[int | None, typer.Option("--num-attention-heads")] = None,
    num_key_value_heads: Annotated[int | None, typer.Option("--num-key-value-heads")] = None,
    vocab_size: Annotated[int | None, typer.Option("--vocab-size")] = None,
    tie_word_embeddings: Annotated[bool, typer.Option("--tie-word-embeddings")] = False,
    method: Annotated[choices.Method, typer.Option("--method", help="What to run.")] = "lora",
    precision: Annotated[
        choices.TrainingPrecision,
        typer.Option("--precision", help="int8 and int4 are for inference."),
    ] = "mixed-bf16",
    optimizer: Annotated[choices.Optimizer, typer.Option("--optimizer")] = "adamw",
    batch: Annotated[int, typer.Option("--batch", help="Micro-batch per GPU.")] = 1,
    seq_len: Annotated[int, typer.Option("--seq-len")] = 1024,
    rank: Annotated[int, typer.Option("--rank", help="LoRA rank.")] = 16,
    targets: Annotated[
        str,
        typer.Option("--targets", help=f"LoRA targets, from {','.join(choices.TARGETS)}."),
    ] = "q,k,v,o",
    gradient_checkpointing: Annotated[
        bool, typer.Option("--gradient-checkpointing/--no-gradient-checkpointing")
    ] = True,
    attention: Annotated[choices.Attention, typer.Option("--attention")] = "sdpa",
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs sharing gradients and states.")] = 1,
    gpu_memory: Annotated[
        float | None, typer.Option("--gpu-memory", metavar="GB", help="Memory of one GPU.")
    ] = None,
    top_layers: Annotated[int, typer.Option("--top-layers", help="For partial.")] = 2,
    virtual_tokens: Annotated[
        int, typer.Option("--virtual-tokens", help="For prompt-tuning.")
    ] = 20,
    output_format: Annotated[Literal["text", "json"], typer.Option("--format", "-f")] = "text",
    list_models: Annotated[bool, typer.Option("--list", help="List the model presets.")] = False,
) -> None:
    """Estimate GPU memory for inference or finetuning, by component."""
    from ftadvisor.plan import architecture, memory

    if list_models:
        for arch in architecture.distinct_presets():
            typer.echo(f"{arch.name:<16} {arch.params / 1e9:7.2f}B  {arch.source}")
        return
    custom: dict[str, Any] = {
        "hidden_size": hidden_size,
        "num_hidden_layers": num_hidden_layers,
        "intermediate_size": intermediate_size,
        "num_attention_heads": num_attention_heads,
        "num_key_value_heads": num_key_value_heads,
        "vocab_size": vocab_size,
    }
    if any(v is not None for v in custom.values()):
        custom["tie_word_embeddings"] = tie_word_embeddings
    arch = architecture.resolve(model=model, params=params, config=config, custom=custom)
    settings = memory.Settings(
        method=method,
        precision=precision,
        optimizer=optimizer,
        batch=batch,
        seq_len=seq_len,
        rank=rank,
        targets=memory.parse_targets(targets),
        gradient_checkpointing=gradient_checkpointing,
        attention=attention,
        gpus=gpus,
        top_layers=top_layers,
        virtual_tokens=virtual_tokens,
    )
    doc = memory.report(memory.estimate(arch, settings), gpu_memory)
    if output_format == "json":
        import json

        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        from ftadvisor.render.memory import render

        render(doc, sys.stdout)
