"""The examples in the sampling module's docstrings run."""

from __future__ import annotations

import doctest
import importlib


def test_docstring_examples() -> None:
    result = doctest.testmod(importlib.import_module("jiliang.stats.sampling"))
    assert result.attempted > 0 and result.failed == 0
