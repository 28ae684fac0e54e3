"""The examples in the pure draw and credit modules (and the net-content demo's dates) run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name", ["jiliang.stats.draw", "jiliang.stats.credit", "jiliang.supervision.netcontent_demo"]
)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
