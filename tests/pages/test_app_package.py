"""The app layer (pages/_app/) is one package with no import cycle, page scripts never import one another, every
page script starts with the guard, and the one page table is the one the role rules and the router read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kpi.access.rules import PAGE_ROLES
from pages._app.page_table import PAGE_TABLE
from tests.test_architecture import find_cycles

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "pages"
APP = PAGES / "_app"
#: The order the app layer's modules may import one another in: each only those before it.
LAYERS = (
    "page_table",
    "session",
    "signin",
    "reads",
    "reads_inequality",
    "reads_peers",
    "reads_plans",
    "reads_overview",
    "chart_widget",
    "widgets",
    "portal",
    "ui",
)


def _imported_modules(path: Path, top_only: bool = False) -> set[str]:
    """Every ``pages`` module ``path`` imports (``from pages._app import x`` names ``pages._app.x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body if top_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("pages")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pages"):
            found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    return found


def _app_modules() -> dict[str, Path]:
    return {path.stem: path for path in APP.glob("*.py") if path.stem != "__init__"}


def _app_graph() -> dict[str, set[str]]:
    names = _app_modules()
    return {
        name: {
            target.split(".")[2]
            for target in _imported_modules(path)
            if target.startswith("pages._app.")
            and target.split(".")[2] in names
            and target.split(".")[2] != name
        }
        for name, path in names.items()
    }


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a -> b -> c -> a"]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_app_layer_has_no_import_cycle():
    cycles = find_cycles(_app_graph())
    assert not cycles, "pages/_app modules import one another in a cycle:\n" + "\n".join(cycles)


def test_the_app_layer_imports_one_way():
    assert set(_app_modules()) == set(LAYERS), "a new pages/_app module takes its place in LAYERS"
    upward = [
        f"pages/_app/{name}.py imports {target} (later in {LAYERS})"
        for name, targets in _app_graph().items()
        for target in targets
        if LAYERS.index(target) > LAYERS.index(name)
    ]
    assert not upward, "\n".join(upward)


def test_the_app_layer_imports_nothing_outside_it_in_pages():
    """The package is below the page scripts and the pack helpers (pages/_pack_ui.py): it never imports them."""
    offenders = {
        f"pages/_app/{path.name}": sorted(
            t for t in _imported_modules(path) if not t.startswith("pages._app")
        )
        for path in APP.glob("*.py")
    }
    assert not {name: found for name, found in offenders.items() if found}


def test_no_page_script_imports_another():
    scripts = {f"pages.{path.stem}" for path in PAGES.glob("*.py") if not path.stem.startswith("_")}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_modules(path) & scripts)
        for path in [*PAGES.rglob("*.py"), ROOT / "app.py"]
    }
    assert not {name: found for name, found in offenders.items() if found}


def _first_call(path: Path) -> str:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
        if isinstance(value, ast.Call):
            return ast.unparse(value.func)
    return ""


@pytest.mark.parametrize("entry", PAGE_TABLE, ids=lambda entry: entry.url_path)
def test_every_page_script_starts_with_the_guard(entry):
    """The first thing a page script does is the guard and sign-in (``start_page``), before any other call."""
    assert _first_call(ROOT / entry.script) == "_ui.start_page", (
        f"{entry.script} must start with _ui.start_page"
    )


def test_every_page_script_is_in_the_page_table():
    scripts = {f"pages/{path.name}" for path in PAGES.glob("*.py") if not path.stem.startswith("_")}
    assert scripts == {entry.script for entry in PAGE_TABLE}


def test_the_role_rules_name_every_page_of_the_page_table():
    """``kpi.access.rules.PAGE_ROLES`` is keyed by the page table's URL paths, one for one (a page missing there
    would silently be commissioners only; a key not in the table guards nothing)."""
    assert set(PAGE_ROLES) == {entry.url_path for entry in PAGE_TABLE}


def test_streamlit_serves_no_module_of_the_app_layer():
    """Streamlit's folder mode (a ``pages/`` folder beside the entry script, before ``st.navigation`` has run)
    serves every ``pages/*.py`` and nothing in a sub-folder; the router serves only the page table. So no module
    of pages/_app/ is ever a page, whichever way the server is started."""
    import inspect

    from streamlit.runtime.scriptrunner import script_runner

    folder_mode = inspect.getsource(script_runner._mpa_v1)
    assert 'pages_folder.glob("*.py")' in folder_mode, "Streamlit's folder mode changed: check what it serves"
    served_by_folder = {path.resolve() for path in PAGES.glob("*.py")}
    served_by_router = {(ROOT / entry.script).resolve() for entry in PAGE_TABLE}
    assert not {path for path in served_by_folder | served_by_router if path.is_relative_to(APP)}
    assert all(path.resolve().parent == PAGES.resolve() for path in served_by_folder)
