"""The finetuning plan: method, memory fit, settings and time."""
