"""The import graph: no circles, and no package imports one above it.

Layers, lowest first: ``dsp`` < ``tools`` < the packages of ``assistant`` in the order of
``ASSISTANT_LAYERS``. ``prompts`` holds data that any layer may read. Imports inside functions
count too, so a deferred import cannot hide a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("dsp", "tools", "assistant", "prompts")
ASSISTANT_LAYERS = (
    "reading",
    "planning",
    "knowledge",
    "moves",
    "llm",
    "inspection",
    "turn",
    "demo",
    "tui",
    "batch",
    "mcp",
    "cli",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["mixchat", *parts])


def modules() -> dict[str, Path]:
    return {module_name(path): path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The mixchat modules a file imports (a name imported from a package counts as the
    submodule when it is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mixchat.")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mixchat."):
            module = node.module or ""
            subs = {f"{module}.{a.name}" for a in node.names} & known
            found |= subs or {module}
    return found & known


def layer(module: str) -> tuple[int, int]:
    """(rank, sub-rank) of a module; prompts is (-1, 0): below everything."""
    parts = module.split(".")
    top = parts[1]
    if top == "prompts":
        return (-1, 0)
    if top == "dsp":
        return (0, 0)
    if top == "tools":
        return (1, 0)
    if len(parts) < 3 or parts[2] not in ASSISTANT_LAYERS:
        return (2, -1)  # mixchat.assistant itself and __main__
    return (2, ASSISTANT_LAYERS.index(parts[2]))


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(path, set(found)) for name, path in found.items()}


def test_every_assistant_package_has_a_layer() -> None:
    packages = {p.parent.name for p in (ROOT / "assistant").glob("*/__init__.py")}
    assert packages == set(ASSISTANT_LAYERS)


def test_no_package_imports_one_above_it(graph: dict[str, set[str]]) -> None:
    upward = [
        f"{source} imports {target}"
        for source, targets in graph.items()
        for target in targets
        if layer(target) > layer(source) and not source.endswith("__main__")
    ]
    assert upward == []


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    done: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            circles.append(trail[trail.index(module) :] + [module])
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert circles == []


def test_every_package_folder_is_installed() -> None:
    """pyproject lists the packages by hand (the folders map into `mixchat`); a folder missing
    there would work in the editable install and be absent from a wheel."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    folders = {module_name(p) for folder in FOLDERS for p in (ROOT / folder).rglob("__init__.py")}
    assert folders == listed


def test_each_package_says_what_it_may_import() -> None:
    silent = [
        module_name(p)
        for p in (ROOT / "assistant").glob("*/__init__.py")
        if "May import" not in (ast.get_docstring(ast.parse(p.read_text())) or "")
    ]
    assert silent == []
