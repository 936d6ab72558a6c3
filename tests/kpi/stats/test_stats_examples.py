"""The examples in kpi.stats docstrings run and give what they show (doctest)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "kpi.stats",
    "kpi.stats._inputs",
    "kpi.stats.wilson",
    "kpi.stats.byars",
    "kpi.stats.benchmark",
    "kpi.stats.goal",
    "kpi.stats.quintiles",
    "kpi.stats.trend",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no docstring example"


def test_every_public_function_has_an_example():
    import kpi.stats

    for name in kpi.stats.__all__:
        obj = getattr(kpi.stats, name)
        if callable(obj) and not isinstance(obj, type):
            assert ">>>" in (obj.__doc__ or ""), f"{name} has no example in its docstring"
