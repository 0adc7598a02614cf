"""The engine's modules import one way: no cycle among them."""

from __future__ import annotations

import ast
from pathlib import Path

import market.matching

PACKAGE = Path(market.matching.__file__).parent


def module_imports() -> dict[str, set[str]]:
    """Module -> the market.matching modules it imports at its top level."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("market.matching"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if (PACKAGE.parent.parent / Path(*sub.split("."))).with_suffix(".py").exists()
                              else node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("market.matching")}
        graph[name] = found - {name}
    return graph


def test_no_module_of_the_engine_imports_itself_through_another():
    graph = module_imports()
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph.get(module, ())):
            assert state.get(dep) != 1, f"import cycle: {' -> '.join(path + [dep])}"
            if dep not in state:
                visit(dep, path + [dep])
        state[module] = 2

    assert "market.matching.solver.allocation" in graph
    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
