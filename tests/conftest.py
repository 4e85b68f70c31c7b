from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ftadvisor import Profile

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"


def make_profile(**sections: Any) -> Profile:
    """A profile from keyword sections, every other key at its contract default."""
    return Profile.model_validate({"version": 1, "name": "test", **sections})


READY = {
    "training_examples": 1500,
    "ml_expertise": "some",
    "can_serve_custom_model": True,
    "maintenance_budget": True,
}
EVAL = {"criteria_defined": True, "pipeline": True}
PROMPTED = {"systematic": True, "variants_tested": 4, "few_shot_examples": 10}


@pytest.fixture
def profile_file(tmp_path: Path):
    def write(text: str, name: str = "ftadvisor.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
