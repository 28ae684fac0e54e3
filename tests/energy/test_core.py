"""The pure cores: configuration rate, accuracy classes, status, emission factors and the
uncertainty of E = Σ A·F through jiliang.uncertainty, against the closed form over many seeds."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from jiliang.energy import ActivityLine, EmissionFactor, emission_factors, emissions
from jiliang.energy.rates import accuracy_ok, configuration_rate, parse_class, verification_status
from jiliang.energy.tables import factor_from_dict
from jiliang.errors import InputError

#: The GUM engine evaluates the same linear model: agreement to rounding.
REL = 1e-9


def test_configuration_rate_caps_at_need_and_refuses_negatives():
    assert configuration_rate(3, 4) == 75.0
    assert configuration_rate(9, 4) == 100.0
    assert configuration_rate(0, 0) is None
    with pytest.raises(InputError):
        configuration_rate(-1, 4)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.5S", 0.5),
        ("0.2s", 0.2),
        ("1.0级", 1.0),
        ("2", 2.0),
        ("class 1.5", 1.5),
        ("", None),
        ("=1", None),
        (None, None),
    ],
)
def test_parse_class(text, value):
    assert parse_class(text) == value


def test_accuracy_and_status():
    assert (
        accuracy_ok("0.5S", 0.5) is True and accuracy_ok("1", 0.5) is False and accuracy_ok("?", 0.5) is None
    )
    assert verification_status(None, None, date(2026, 1, 1)).state == "unknown"
    assert verification_status(date(2026, 1, 1), "pass", date(2026, 1, 1)).state == "valid"
    assert verification_status(date(2025, 12, 31), "pass", date(2026, 1, 1)).state == "out_of_date"
    assert verification_status(date(2027, 1, 1), "fail", date(2026, 1, 1)).state == "failed"


def test_factor_without_source_is_refused():
    with pytest.raises(InputError, match="has no source"):
        factor_from_dict({"code": "x", "value": 0.5, "u_rel": 0.01, "source": "  "})
    with pytest.raises(InputError, match="has no source"):
        EmissionFactor("x", "electricity", "MWh", "x", 0.5, 0.0, "")


def test_shipped_factors_carry_sources():
    fs = emission_factors()
    assert fs["cn-grid-2022"].value == 0.5366 and "2024-12-20" in fs["cn-grid-2022"].source
    diesel = fs["ipcc2006-diesel"]
    # IPCC 2006 Vol. 2 Table 1.2 (NCV 43.0 TJ/Gg) × Table 1.4 (74 100 kg CO2/TJ)
    assert diesel.value == pytest.approx(43.0 * 74.1 / 1000, rel=1e-12)
    assert all(f.source.strip() for f in fs.values())


def _closed_form(lines):
    groups = {}
    for ln in lines:
        groups.setdefault(ln.factor.code, []).append(ln)
    u2 = 0.0
    for ls in groups.values():
        f = ls[0].factor
        a = sum(x.quantity for x in ls)
        u2 += f.value**2 * sum(x.u**2 for x in ls) + a**2 * f.u**2
    return sum(x.quantity * x.factor.value for x in lines), math.sqrt(u2)


@pytest.mark.parametrize("seed", range(25))
def test_emissions_match_the_closed_form(seed):
    rng = random.Random(seed)
    factors = [
        EmissionFactor(
            f"f{i}", "electricity", "MWh", "f", rng.uniform(0.1, 3), rng.choice([0, rng.uniform(0, 0.1)]), "t"
        )
        for i in range(rng.randint(1, 5))
    ]
    lines = []
    for j in range(rng.randint(1, 40)):
        f = rng.choice(factors)
        if rng.random() < 0.8:
            lines.append(
                ActivityLine(f"m{j}", rng.uniform(0, 1e4), f, meter_class=rng.choice([0.2, 0.5, 1, 2, 2.5]))
            )
        else:
            lines.append(
                ActivityLine(f"e{j}", rng.uniform(0, 1e4), f, u_rel=rng.uniform(0, 0.2), flags=("unmetered",))
            )
    r = emissions(lines)
    E, u = _closed_form(lines)
    assert r.E == pytest.approx(E, rel=REL)
    assert r.u == pytest.approx(u, rel=REL, abs=1e-12)
    assert r.U == 2 * r.u and r.flagged("unmetered") == sum(1 for x in lines if x.flags)


def test_meter_class_gives_a_rectangular_uncertainty():
    f = EmissionFactor("g", "electricity", "MWh", "grid", 0.5, 0.0, "test")
    r = emissions([ActivityLine("m", 1000.0, f, meter_class=1.0)])
    assert r.u == pytest.approx(0.5 * 0.01 * 1000 / math.sqrt(3), rel=REL)


def test_bad_activity_lines_are_refused():
    f = EmissionFactor("g", "electricity", "MWh", "grid", 0.5, 0.0, "test")
    for kw in (
        {"quantity": -1.0, "meter_class": 1.0},
        {"quantity": math.nan, "meter_class": 1.0},
        {"quantity": 1.0},
    ):
        with pytest.raises(InputError):
            ActivityLine("x", factor=f, **kw)
