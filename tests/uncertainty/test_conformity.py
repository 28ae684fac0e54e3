"""Conformity decisions (JCGM 106, ILAC-G8): rules, specific and global risks, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from jiliang.uncertainty import UncertaintyModelError, decide, evaluate, global_risks, model_from_dict


def test_simple_acceptance():
    d = decide(10.04, 0.01, 9.95, 10.05, "simple")
    assert d.decision == "accept" and d.accepted and d.w == 0.0
    assert d.acceptance == (9.95, 10.05)
    p_c = norm.cdf(1.0) - norm.cdf(-9.0)
    assert d.p_c == pytest.approx(p_c)
    assert d.specific_risk == pytest.approx(1 - p_c)
    assert "false-accept" in d.risk_kind


def test_guard_band_default_is_expanded_uncertainty():
    d = decide(10.04, 0.01, 9.95, 10.05, "guard_band", k=2)
    assert d.acceptance == pytest.approx((9.97, 10.03))
    assert d.decision == "reject" and not d.accepted
    assert d.specific_risk == pytest.approx(d.p_c)  # false reject
    assert "false-reject" in d.risk_kind


def test_explicit_and_negative_guard_band():
    assert decide(10.045, 0.01, 9.95, 10.05, "guard_band", guard_band=0.004).accepted
    guarded_rejection = decide(10.055, 0.01, 9.95, 10.05, "guard_band", guard_band=-0.01)
    assert guarded_rejection.accepted and guarded_rejection.acceptance[1] == pytest.approx(10.06)


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (10.0, "pass"),
        (10.04, "conditional pass"),
        (10.06, "conditional fail"),
        (10.2, "fail"),
        (9.935, "conditional fail"),
    ],
)
def test_non_binary_states(value, state):
    assert decide(value, 0.01, 9.95, 10.05, "non_binary").decision == state


def test_one_sided_tolerance():
    d = decide(4.0, 0.5, None, 5.0, "guard_band")
    assert d.acceptance == (-math.inf, 4.0) and d.accepted
    assert d.p_c == pytest.approx(norm.cdf(2.0))


def test_t_distribution_for_finite_dof():
    d = decide(10.0, 0.02, 9.95, 10.05, "simple", dof=3)
    assert d.p_c < decide(10.0, 0.02, 9.95, 10.05, "simple").p_c


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1.0, -0.1, 0, 2, "simple"), "u must be"),
        ((1.0, 0.1, 2, 0, "simple"), "lower must be below upper"),
        ((1.0, 0.1, None, None, "simple"), "lower, upper or both"),
        ((1.0, 0.1, 0, 2, "strict"), "decision rule"),
        ((float("nan"), 0.1, 0, 2, "simple"), "value must be"),
        (("1", 0.1, 0, 2, "simple"), "value must be"),
    ],
)
def test_bad_input(args, message):
    with pytest.raises(UncertaintyModelError, match=message):
        decide(*args)


def test_global_risks_against_simulation():
    """JCGM 106 §9.5: R_C and R_P checked against a direct simulation of the process."""
    r = global_risks(10.0, 0.03, 0.01, 9.95, 10.05, (9.97, 10.03))
    rng = np.random.default_rng(106)
    eta = rng.normal(10.0, 0.03, 4_000_000)
    meas = eta + rng.normal(0, 0.01, eta.size)
    conform = (eta >= 9.95) & (eta <= 10.05)
    accept = (meas >= 9.97) & (meas <= 10.03)
    rc, rp = np.mean(~conform & accept), np.mean(conform & ~accept)
    se = lambda p: math.sqrt(p * (1 - p) / eta.size)  # noqa: E731
    assert r.consumer == pytest.approx(rc, abs=5 * se(rc))
    assert r.producer == pytest.approx(rp, abs=5 * se(rp))
    assert r.p_accept == pytest.approx(accept.mean(), abs=5 * se(accept.mean()))
    assert r.consumer_conditional == pytest.approx(r.consumer / r.p_accept)


def test_guard_band_trades_consumer_for_producer_risk():
    simple = global_risks(10.0, 0.03, 0.01, 9.95, 10.05, (9.95, 10.05))
    guarded = global_risks(10.0, 0.03, 0.01, 9.95, 10.05, (9.97, 10.03))
    assert guarded.consumer < simple.consumer and guarded.producer > simple.producer


def test_conformity_in_the_model_output():
    m = model_from_dict(
        {
            "model": {"Y": "a + b"},
            "inputs": {
                "a": {"dist": "normal", "mean": 10, "sd": 0.01},
                "b": {"dist": "normal", "mean": 0, "sd": 0.005},
            },
            "conformity": {
                "output": "Y",
                "lower": 9.95,
                "upper": 10.05,
                "rule": "guard_band",
                "prior": {"mean": 10, "sd": 0.03},
            },
            "method": {"montecarlo": {"trials": 50_000}, "seed": 1},
        }
    )
    c = evaluate(m).as_dict()["conformity"]
    assert c["decision"] == "accept"
    assert c["acceptance"] == pytest.approx([9.95 + 2 * 0.01118034, 10.05 - 2 * 0.01118034], abs=1e-7)
    assert c["global"]["consumer_risk"] >= 0 and "unconditional" in c["global"]["note"]
    assert c["p_conform_mc"] == pytest.approx(c["p_conform"], abs=0.001)


def test_decision_as_dict_is_json_ready():
    import json

    d = decide(4.0, 0.5, None, 5.0, "guard_band").as_dict()
    assert d["tolerance"] == [None, 5.0] and d["acceptance"] == [None, 4.0]
    assert json.loads(json.dumps(d, allow_nan=False)) == d
