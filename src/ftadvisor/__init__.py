"""ftadvisor: should we finetune? Advice on adapting an LLM, from a project profile.

    from ftadvisor import assess, load_profile
    result = assess(load_profile("ftadvisor.yaml"))
    result.next_step.id        # e.g. "rag_term"
    result.changes             # the smallest edits that would change the advice

The same library the command line runs, in three layers a tool can enter at:

- `assess(profile)`: the packaged rules; `evaluate(load_rules(directory), profile)` with
  a tool's own rule files (`RulesError` names the file and the rule that is wrong).
- `Run(paths, Gates(...))`: many inputs through the whole pipeline, as `ftadvisor
  assess` runs them: one `Report` each, and the exit status that `--fail-on` gives.
- `estimate_memory(architecture, MemorySettings(...))`: the memory model behind the plan,
  with `architecture(model="mistral-7b")` (or `params=`, `config=`) naming the model.

Public names: `assess`, `evaluate`, `load_profile`, `load_rules`; `Profile` (the
input), `Assessment` (the advice: next step, roadmap, assumptions, findings, changes,
plan), `RuleSet`; `Run`, `Gates`, `Report` (the pipeline); `UserError` and its
`ProfileError`, `RulesError`; `estimate_memory`, `MemorySettings`, `architecture`.

Importing this package loads pydantic and PyYAML only; the command line's typer and
rich, and the plan's memory model, load when something asks for them.
"""

from typing import TYPE_CHECKING, Any

from ftadvisor._version import __version__
from ftadvisor.advice.engine import assess, evaluate
from ftadvisor.advice.pipeline import Gates, Report, Run
from ftadvisor.advice.results import Assessment
from ftadvisor.errors import ProfileError, RulesError, UserError
from ftadvisor.profile.load import load_profile
from ftadvisor.profile.model import Profile
from ftadvisor.rules.loader import RuleSet, load_rules

if TYPE_CHECKING:
    from ftadvisor.plan.memory import Settings as MemorySettings
    from ftadvisor.plan.memory import estimate as estimate_memory
    from ftadvisor.plan.models import resolve as architecture

__all__ = [
    "Assessment",
    "Gates",
    "MemorySettings",
    "Profile",
    "ProfileError",
    "Report",
    "RuleSet",
    "RulesError",
    "Run",
    "UserError",
    "__version__",
    "architecture",
    "assess",
    "estimate_memory",
    "evaluate",
    "load_profile",
    "load_rules",
]

_LAZY = {
    "architecture": ("ftadvisor.plan.models", "resolve"),
    "MemorySettings": ("ftadvisor.plan.memory", "Settings"),
    "estimate_memory": ("ftadvisor.plan.memory", "estimate"),
}


def __getattr__(name: str) -> Any:
    # The memory model and its presets load on first use, not with the advisor.
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ftadvisor' has no attribute {name!r}")
