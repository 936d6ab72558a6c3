"""The examples in the library's docstrings run and give what they say (issue #14: doctests across kpi/).

Every module of ``kpi`` is imported and its docstring examples run with :func:`doctest.testmod`; a module added
later is picked up without a list to keep. Examples marked ``+SKIP`` need a database or a file and are not run.
"""

import doctest
import importlib
import pkgutil

import pytest

import kpi

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(kpi.__path__, "kpi.") if not m.name.endswith("__main__")
)


def test_every_package_is_walked():
    assert {"kpi.core.store", "kpi.stats.wilson", "kpi.reports.disclosure", "kpi.spc.rules"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, capsys):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, capsys.readouterr().out
