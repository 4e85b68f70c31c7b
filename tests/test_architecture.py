"""The package's shape: every module imports, no import cycle (lazy imports included),
and each command and format loads only the parts it uses, so that start-up stays light
as parts are added."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ftadvisor

PACKAGE = Path(ftadvisor.__file__).parent
EXAMPLES = Path(__file__).parent.parent / "examples"


def module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, source: str, modules: set[str]) -> set[str]:
    """The package modules that `name` may import when it runs, wherever the import is
    written: at the top, inside a function (a lazy import), or as a string naming a
    module for `importlib.import_module` (a constant, or `f"{__name__}.{x}"`, which
    stands for every module under this one). Imports under `if TYPE_CHECKING:` never
    run and are left out."""
    is_package = any(m.startswith(f"{name}.") for m in modules)
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def target(module: str, names: list[str]) -> None:
        for n in names:
            if f"{module}.{n}" in modules:
                found.add(f"{module}.{n}")
            elif module in modules:
                found.add(module)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            target(base, [a.name for a in node.names])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in modules and node.value != "ftadvisor":
                found.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            head = node.values[0] if node.values else None
            if (
                isinstance(head, ast.FormattedValue)
                and isinstance(head.value, ast.Name)
                and head.value.id == "__name__"
            ):
                found.update(m for m in modules if m.startswith(f"{name}."))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    names = set(MODULES)
    return {n: imports_of(n, p.read_text(encoding="utf-8"), names) for n, p in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path that starts and ends at the same module, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def test_the_cycle_finder_sees_lazy_and_string_imports() -> None:
    modules = {"p", "p.a", "p.b", "p.c", "p.d", "p.fmt", "p.fmt.x"}
    a = imports_of("p.a", "def f():\n    from p import b\n", modules)
    b = imports_of("p.b", "import importlib\nimportlib.import_module('p.c')\n", modules)
    c = imports_of(
        "p.c",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n  import p.d\nfrom .a import thing\n",
        modules,
    )
    fmt = imports_of("p.fmt", "importlib.import_module(f'{__name__}.{name}')", modules)
    assert (a, b, c, fmt) == ({"p.b"}, {"p.c"}, {"p.a"}, {"p.fmt.x"})
    assert find_cycle({"p.a": a, "p.b": b, "p.c": c}) == ["p.a", "p.b", "p.c", "p.a"]
    assert find_cycle({"p.a": a, "p.b": b, "p.c": set()}) is None


def test_no_import_cycle_anywhere_in_the_package() -> None:
    graph = import_graph()
    assert sum(map(len, graph.values())) > len(graph), "the import graph looks empty"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("name", [m for m in MODULES if not m.endswith("__main__")])
def test_every_module_imports_on_its_own(name: str) -> None:
    # A fresh interpreter per module: an import that only works after another module
    # happens to be loaded would pass in this process.
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_every_module_imports_in_this_process() -> None:
    for name in MODULES:
        if not name.endswith("__main__"):
            importlib.import_module(name)


PROBE = """
import json, sys
import ftadvisor.cli.app as app
out = open(sys.argv[1], "w")
sys.stdout = open("/dev/null", "w")
code = app.run(sys.argv[2:])
json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def loaded(argv: list[str], tmp_path: Path) -> set[str]:
    """The modules a command leaves loaded, run in process by a fresh interpreter."""
    result = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(result), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(result.read_text())
    assert data["code"] in (0, 1), done.stderr
    return set(data["modules"])


def prefixes(modules: set[str], *names: str) -> set[str]:
    return {m for m in modules for n in names if m == n or m.startswith(n + ".")}


HEAVY = ("typer", "rich", "click")
PLANNER = ("ftadvisor.plan.plan", "ftadvisor.plan.memory", "ftadvisor.plan.architecture")
"""The memory model and its presets; the plan's result types are light and load with
the advice."""


def test_importing_the_library_loads_no_command_line_or_plan(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ftadvisor, sys, json; print(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = set(json.loads(done.stdout))
    assert "ftadvisor.advice.engine" in modules
    assert not prefixes(
        modules,
        *HEAVY,
        "ftadvisor.cli",
        "ftadvisor.render",
        *PLANNER,
        "ftadvisor.interview",
    )


NOT_A_FINETUNE = str(EXAMPLES / "faq-bot.yaml")
FINETUNE = str(EXAMPLES / "invoice-extractor.yaml")

LOADS = [
    # (argv, must be loaded, must not be loaded)
    (
        ["assess", "--profile", NOT_A_FINETUNE, "-f", "json"],
        {"ftadvisor.render.json"},
        {"rich", *PLANNER, "ftadvisor.interview", "ftadvisor.render.text"},
    ),
    (
        ["assess", "--profile", NOT_A_FINETUNE, "-f", "text"],
        {"rich", "ftadvisor.render.text"},
        {"ftadvisor.plan.plan", "ftadvisor.plan.memory", "ftadvisor.interview"},
    ),
    (
        ["assess", "--profile", NOT_A_FINETUNE, "-f", "markdown"],
        {"ftadvisor.render.markdown"},
        {"rich", "ftadvisor.plan.memory", "ftadvisor.interview"},
    ),
    (
        ["assess", "--profile", NOT_A_FINETUNE, "-f", "sarif"],
        {"ftadvisor.render.sarif"},
        {"rich", "ftadvisor.plan.memory", "ftadvisor.interview"},
    ),
    (
        ["assess", "--profile", NOT_A_FINETUNE, "-f", "github"],
        {"ftadvisor.render.github"},
        {"rich", "ftadvisor.plan.memory", "ftadvisor.interview"},
    ),
    (
        ["assess", "--profile", NOT_A_FINETUNE, "-f", "junit"],
        {"ftadvisor.render.junit"},
        {"rich", "ftadvisor.plan.memory", "ftadvisor.interview"},
    ),
    (
        ["assess", "--profile", FINETUNE, "-f", "json"],
        {"ftadvisor.plan.plan", "ftadvisor.plan.memory"},
        {"rich", "ftadvisor.interview"},
    ),
    (
        ["memory", "--model", "mistral-7b"],
        {"ftadvisor.plan.memory", "ftadvisor.render.memory"},
        {"ftadvisor.interview", "ftadvisor.render.text", "ftadvisor.render.json"},
    ),
    (
        ["memory", "--model", "mistral-7b", "--format", "json"],
        {"ftadvisor.plan.memory"},
        {"rich", "ftadvisor.interview", "ftadvisor.render.memory"},
    ),
    (["rules"], {"ftadvisor.rules.loader"}, {*PLANNER, "ftadvisor.interview", "rich"}),
    (
        ["explain", "rung.rag-term"],
        {"ftadvisor.rules.docs"},
        {*PLANNER, "ftadvisor.interview", "rich"},
    ),
    (
        ["schema"],
        {"ftadvisor.profile.schema"},
        {*PLANNER, "rich", "ftadvisor.interview", "ftadvisor.render.text"},
    ),
]


@pytest.mark.parametrize(
    ("argv", "present", "absent"), LOADS, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_each_command_loads_only_what_it_uses(
    argv: list[str], present: set[str], absent: set[str], tmp_path: Path
) -> None:
    modules = loaded(argv, tmp_path)
    assert present <= modules, f"expected loaded: {present - modules}"
    assert not prefixes(modules, *absent), f"loaded but unused: {prefixes(modules, *absent)}"
