"""Every fixed choice list, stated once: the profile model, the memory model, the command
line, the schema and the docs all read these."""

import typing
from typing import Literal

Method = Literal["inference", "full", "partial", "lora", "qlora", "prompt-tuning"]
TrainingPrecision = Literal["fp32", "fp16", "bf16", "mixed-fp16", "mixed-bf16", "int8", "int4"]
"""How values are stored while running; `int8`/`int4` are for inference only."""
WeightPrecision = Literal["fp32", "fp16", "bf16", "int8", "int4"]
"""How a base model's weights are stored."""
Optimizer = Literal["adam", "adamw", "adam8bit", "momentum", "sgd"]
Attention = Literal["eager", "sdpa", "flash"]
Sharding = Literal["none", "zero1", "zero2", "zero3", "fsdp"]
"""How training state is split over GPUs: none (DDP, all replicated), ZeRO stage 1
(optimizer states), 2 (and gradients), 3 or FSDP full shard (and the weights)."""
Loss = Literal["hf", "chunked", "fused"]
"""The loss implementation: Hugging Face's usual causal-LM loss (fp32 log-probabilities
and gradients), a chunked cross-entropy (torchtune, LitGPT) or a fused one (Liger, Cut
Cross-Entropy)."""
Device = Literal["cuda", "cpu"]
OptimizerImpl = Literal["foreach", "fused", "forloop"]
"""PyTorch's AdamW code paths: foreach (the CUDA default), fused, the plain for-loop
(what CPU tensors get)."""
AdapterPrecision = Literal["fp32", "compute"]
"""Where LoRA adapters live: fp32 beside a 16-bit base (PEFT's default), or in the
compute precision (LitGPT, torchtune)."""
Framework = Literal["hf", "litgpt"]
"""Whose transformer layers run: Hugging Face transformers with PEFT's adapters, or
LitGPT's (a fused query-key-value projection, its own LoRA layers): what a layer keeps
for the backward pass differs."""
Target = Literal["q", "k", "v", "o", "gate", "up", "down"]
"""The matrices of a transformer layer that LoRA can adapt."""

METHODS: tuple[Method, ...] = typing.get_args(Method)
TRAINING_PRECISIONS: tuple[TrainingPrecision, ...] = typing.get_args(TrainingPrecision)
INFERENCE_ONLY_PRECISIONS: tuple[TrainingPrecision, ...] = ("int8", "int4")
WEIGHT_PRECISIONS: tuple[WeightPrecision, ...] = typing.get_args(WeightPrecision)
OPTIMIZERS: tuple[Optimizer, ...] = typing.get_args(Optimizer)
ATTENTIONS: tuple[Attention, ...] = typing.get_args(Attention)
TARGETS: tuple[Target, ...] = typing.get_args(Target)
SHARDINGS: tuple[Sharding, ...] = typing.get_args(Sharding)
LOSSES: tuple[Loss, ...] = typing.get_args(Loss)
DEVICES: tuple[Device, ...] = typing.get_args(Device)
OPTIMIZER_IMPLS: tuple[OptimizerImpl, ...] = typing.get_args(OptimizerImpl)
FRAMEWORKS: tuple[Framework, ...] = typing.get_args(Framework)
