"""The rules module: the condition language and the loader of the rule files.

The rule data lives in the top-level `rules/` (linked here as `data/`).
"""
