"""ftadvisor: should we finetune? Advice on adapting an LLM, from a project profile.

    from ftadvisor import assess, load_profile
    result = assess(load_profile("ftadvisor.yaml"))
    result.next_step.id        # e.g. "rag_term"

Importing this package loads pydantic and PyYAML only; the CLI's typer and rich stay
out of library users' processes.
"""

from ._engine import assess
from ._errors import ProfileError, UserError
from ._load import load_profile
from ._profile import Profile
from ._result import Assessment
from ._version import __version__

__all__ = [
    "Assessment",
    "Profile",
    "ProfileError",
    "UserError",
    "__version__",
    "assess",
    "load_profile",
]
