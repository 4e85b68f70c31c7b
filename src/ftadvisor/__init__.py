"""ftadvisor: should we finetune? Advice on adapting an LLM, from a project profile.

    from ftadvisor import assess, load_profile
    result = assess(load_profile("ftadvisor.yaml"))
    result.next_step.id        # e.g. "rag_term"

Importing this package loads pydantic and PyYAML only; the CLI's typer and rich stay
out of library users' processes.
"""

from ftadvisor._version import __version__
from ftadvisor.advice.engine import assess
from ftadvisor.advice.results import Assessment
from ftadvisor.errors import ProfileError, UserError
from ftadvisor.profile.load import load_profile
from ftadvisor.profile.model import Profile

__all__ = [
    "Assessment",
    "Profile",
    "ProfileError",
    "UserError",
    "__version__",
    "assess",
    "load_profile",
]
