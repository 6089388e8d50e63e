"""Imports point only downward: shifts <- envs <- agents <- benchmark <- leaderboard, analysis <- cli.

A module may import from its own package, from a lower layer, and from the leaf modules (errors,
seeding, extras, allocator). Lazy imports inside functions count too: a cycle kept alive only by an
import placed inside a function is still a cycle.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import pvmbench

ROOT = pathlib.Path(pvmbench.__file__).parent
LEAVES = {"errors", "seeding", "extras", "allocator"}
LAYERS = ["shifts", "envs", "agents", "benchmark", "leaderboard|analysis", "cli"]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer.split("|")}


def _part(module: str) -> str | None:
    """The top-level part of pvmbench a dotted module name belongs to (None: not pvmbench's)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "pvmbench" and len(parts) > 1 else ("" if module == "pvmbench" else None)


def _imports(path: pathlib.Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(node.lineno, f"{node.module}.{alias.name}") if node.module == "pvmbench" else (node.lineno, node.module)
                    for alias in node.names]
    return out


def upward_imports(root: pathlib.Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        own = rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.stem in RANK else None
        if own not in RANK:
            continue
        for line, module in _imports(path):
            target = _part(module)
            if target in (None, "", own) or target in LEAVES:
                continue
            if target not in RANK or RANK[target] > RANK[own] or (RANK[target] == RANK[own]):
                found.append(f"pvmbench/{rel}:{line} imports {module}")
    return found


def test_no_module_imports_a_higher_layer():
    assert upward_imports() == []


def test_the_check_catches_an_upward_import(tmp_path):
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "thing.py").write_text("def f():\n    from pvmbench.agents.registry import get_agent_factory\n")
    (tmp_path / "shifts").mkdir()
    (tmp_path / "shifts" / "ok.py").write_text("from pvmbench.errors import UserError\nimport numpy\n")
    assert upward_imports(tmp_path) == ["pvmbench/envs/thing.py:2 imports pvmbench.agents.registry"]


@pytest.mark.parametrize("layer", ["leaderboard", "analysis"])
def test_sibling_top_layers_do_not_import_each_other(tmp_path, layer):
    other = "analysis" if layer == "leaderboard" else "leaderboard"
    (tmp_path / layer).mkdir()
    (tmp_path / layer / "x.py").write_text(f"import pvmbench.{other}.thing\n")
    assert len(upward_imports(tmp_path)) == 1
