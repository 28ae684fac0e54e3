"""The examples in the registry's docstrings run."""

from __future__ import annotations

import doctest

import pytest

from jiliang.registry import dates, export, importer, status, trace


@pytest.mark.parametrize("module", [trace, dates, status, export, importer])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
