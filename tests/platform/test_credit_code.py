"""GB 32100-2015 check character."""

from __future__ import annotations

import random

import pytest

from jiliang.errors import InputError
from jiliang.platform import credit_code

# Codes published on business licences (public registers); the check characters are the licence's.
PUBLISHED = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_validate(code):
    assert credit_code.validate(code.lower()) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M00O100Y43", "outside GB 32100"),
        ("913501A0M000100Y43", "division"),
        (12345, "text"),
    ],
)
def test_bad_codes_name_the_problem(code, reason):
    with pytest.raises(InputError, match=reason):
        credit_code.validate(code)


def test_generated_codes_validate():
    rng = random.Random(1)
    for _ in range(200):
        code = credit_code.generate(rng, "449901")
        assert credit_code.validate(code) == code
