"""Results reported as the GUM says (JCGM 100:2008 §7.2.6)."""

from __future__ import annotations

import doctest

import pytest

from jiliang.uncertainty import report, round_result, significant


def test_docstring_examples():
    result = doctest.testmod(report)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("y", "big_u", "shown"),
    [
        # GUM §7.2.6 example: m_s = 100.021 47 g with U = 0.000 79 g
        (100.02147, 0.00079, ("100.02147", "0.00079")),
        (100.021473, 0.000794, ("100.02147", "0.00079")),
        (1.234, 0.10554729, ("1.23", "0.11")),  # JCGM 101 §9.3 mass, first-order GUM, k = 1.96
        (0.5, 0.0996, ("0.50", "0.10")),  # rounding U up to a new digit keeps two digits
        (-3.456, 12.5, ("-3", "13")),
        (12345.6, 0.0, ("12345.6", "0")),
    ],
)
def test_uncertainty_to_two_digits_value_to_the_same_place(y, big_u, shown):
    assert round_result(y, big_u) == shown


def test_significant_handles_infinite_and_tiny_values():
    assert significant(float("inf")) == "∞"
    assert significant(3.4e-9) == "0.0000000034"
