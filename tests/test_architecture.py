"""The floor plan holds (issue #14): kpi/ by domain, nothing imports upward, no import cycle, no Streamlit in kpi.

Floors, lowest first: ``stats`` (methods, no data); ``core``, ``ingest`` and ``access`` (the store, periods,
catalogue, file reading, who may do what); the domains (``contract``, ``returns``, ``ncmp``, ``outcomes``,
``inequality``, ``spc``); ``reports`` (pack and briefing, which read every domain) and ``alerts`` (e-mail, which
words what changed as the pack does); and on top the command line and
the sample builder. A module may import its own floor and the floors below, never a floor above; modules never form
an import cycle at load time (imports at the top of a module).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KPI = ROOT / "kpi"
FLOORS = {
    "stats": 0,
    "core": 1,
    "ingest": 1,
    "access": 1,
    "contract": 2,
    "returns": 2,
    "ncmp": 2,
    "hvrecords": 2,
    "outcomes": 2,
    "inequality": 2,
    "spc": 2,
    "reports": 3,
    "alerts": 3,
    "cli": 4,
    "sample": 4,
    "__main__": 4,
    "__init__": 0,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> int:
    parts = module.split(".")
    return FLOORS[parts[1]] if len(parts) > 1 else 0


def imports(path: Path, top_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("kpi")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kpi"):
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in KPI.rglob("*.py")}


def test_every_kpi_module_lives_on_a_known_floor():
    unknown = sorted(name for name in modules() if name.count(".") and name.split(".")[1] not in FLOORS)
    assert not unknown, (
        f"put these in a domain package or a floor (tests/test_architecture.py FLOORS): {unknown}"
    )


def test_nothing_imports_a_floor_above_its_own():
    known = modules()
    upward = []
    for name, path in known.items():
        for target in imports(path):
            target = target if target in known else target.rpartition(".")[0]
            if target in known and floor(target) > floor(name):
                upward.append(f"{name} (floor {floor(name)}) imports {target} (floor {floor(target)})")
    assert not upward, "\n".join(sorted(upward))


def test_modules_form_no_import_cycle():
    known = modules()
    graph = {}
    for name, path in known.items():
        targets = set()
        for target in imports(path, top_only=True):
            target = target if target in known else target.rpartition(".")[0]
            if target in known and target != name and not name.startswith(target + "."):
                targets.add(target)
        graph[name] = targets
    cycles = find_cycles(graph)
    assert not cycles, "\n".join(cycles)


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle of a module graph (module -> the modules it imports), each as "a -> b -> a"."""
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]) if nxt in trail else nxt)
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_the_library_never_imports_streamlit():
    offenders = [
        name
        for name, path in modules().items()
        if any(n == "streamlit" or n.startswith("streamlit.") for n in _all_imports(path))
    ]
    assert not offenders, offenders


def _all_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found
