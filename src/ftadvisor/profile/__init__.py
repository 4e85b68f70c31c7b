"""The profile: the contract's keys as a model, and reading, writing and describing it."""
