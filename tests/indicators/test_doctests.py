"""The examples in the indicators modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "jiliang.indicators.catalog",
        "jiliang.indicators.projection",
        "jiliang.indicators.chart",
        "jiliang.indicators.service",
        "jiliang.indicators.queries",
    ],
)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
