"""JCGM 101:2008 (GUM Supplement 1) clause 9 examples, against tests/reference/data/uncertainty.json.

Page numbers are those of the JCGM 101:2008 PDF edition (BIPM). Monte Carlo results are compared
with tolerances built from their own standard errors: ``N_SE`` standard errors of the run under
test (mean and standard deviation from the sample moments, interval endpoints from the
distribution-free order-statistic bracket of :func:`refdata.quantile_se`) plus the stated
uncertainty of the reference value itself (M = 2e7 recomputation: ±1e-7 for §9.4, the last
stored digit for §9.5).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from refdata import mean_sd_se, quantile_se, reference

from jiliang.uncertainty import evaluate, gum, model_from_dict, montecarlo

REF = reference()
#: Five standard errors: with a fixed seed each comparison is deterministic; were the seed changed,
#: a correct engine would fail one comparison in about 1.7 million (two-sided normal tail at 5σ).
N_SE = 5.0
TRIALS = 1_000_000


def _additive(dist: dict) -> dict:
    return {
        "model": {"Y": "X1 + X2 + X3 + X4"},
        "inputs": {f"X{i}": dict(dist) for i in range(1, 5)},
        "method": {"montecarlo": {"trials": TRIALS}, "seed": 92},
    }


def _check_interval(mc_interval, samples, ref_interval, p, ref_err=0.0):
    lo_se = quantile_se(samples, (1 - p) / 2)
    hi_se = quantile_se(samples, (1 + p) / 2)
    assert mc_interval[0] == pytest.approx(ref_interval[0], abs=N_SE * lo_se + ref_err)
    assert mc_interval[1] == pytest.approx(ref_interval[1], abs=N_SE * hi_se + ref_err)


def test_9_2_2_additive_normal():
    """§9.2.2, Table 2, p. 34: X_i ~ N(0, 1); u(y) = 2, 95 % interval ±3.92 (GUF = MCM)."""
    ref = REF["S1_9.2.2"]
    ev = evaluate(model_from_dict(_additive({"dist": "normal", "mean": 0, "sd": 1})))
    g, mc = ev.gum.outputs[0], ev.mc.outputs[0]
    assert g.u == pytest.approx(ref["pub"]["u"], rel=1e-12)
    assert g.interval == pytest.approx(tuple(ref["exact"]["I95"]), abs=1e-5)
    _check_interval(mc.interval, ev.mc.samples[0], ref["exact"]["I95"], 0.95)
    se_mean, se_sd = mean_sd_se(ev.mc.samples[0])
    assert mc.y == pytest.approx(0.0, abs=N_SE * se_mean)
    assert mc.u == pytest.approx(2.0, abs=N_SE * se_sd)
    assert ev.validations[0].passed  # §9.2.2: the GUF is validated


def test_9_2_3_additive_rectangular():
    """§9.2.3, Table 3, p. 35: X_i ~ R(−√3, √3); MCM 95 % interval ±3.88, GUF ±3.92."""
    ref = REF["S1_9.2.3"]
    a = math.sqrt(3)
    ev = evaluate(model_from_dict(_additive({"dist": "uniform", "low": -a, "high": a})))
    g, mc = ev.gum.outputs[0], ev.mc.outputs[0]
    assert g.interval == pytest.approx(tuple(ref["pub"]["GUF_I95"]), abs=0.005)
    _check_interval(mc.interval, ev.mc.samples[0], ref["exact"]["I95"], 0.95)
    assert mc.interval == pytest.approx(tuple(ref["pub"]["MCM_I95"]), abs=0.005 + 0.02)


def _mass_model(order: int = 1, mc: object = None) -> dict:
    return {
        "model": {
            "dm": "(m_Rc - m_nom) + dm_Rc + (m_Rc + dm_Rc) * (rho_a - rho_a0) * (1 / rho_W - 1 / rho_R)"
        },
        "constants": {"m_nom": 100000, "rho_a0": 1.2},
        "inputs": {
            "m_Rc": {"dist": "normal", "mean": 100000.000, "sd": 0.050},
            "dm_Rc": {"dist": "normal", "mean": 1.234, "sd": 0.020},
            "rho_a": {"dist": "uniform", "low": 1.10, "high": 1.30},
            "rho_W": {"dist": "uniform", "low": 7000, "high": 9000},
            "rho_R": {"dist": "uniform", "low": 7950, "high": 8050},
        },
        "method": {"gum_order": order, "montecarlo": mc or {"trials": TRIALS}, "seed": 93},
    }


def test_9_3_mass_calibration_guf():
    """§9.3.2, Table 5, p. 38: GUF first order u = 0.0539 mg, second order 0.075 mg."""
    rec = REF["S1_9.3"]["recomputed"]
    g1 = gum(model_from_dict(_mass_model()))["dm"]
    assert (g1.y, g1.u, *g1.interval) == pytest.approx(tuple(rec["GUF"]), rel=1e-6)
    g2 = gum(model_from_dict(_mass_model(order=2)))["dm"]
    assert (g2.y, g2.u, *g2.interval) == pytest.approx(tuple(rec["GUF2"]), rel=1e-6)


def test_9_3_mass_calibration_mcm():
    """§9.3.2, Table 5, p. 38: MCM y = 1.2341 mg, u = 0.0754 mg, 95 % [1.0834, 1.3825] mg."""
    rec = REF["S1_9.3"]["recomputed"]
    ev = evaluate(model_from_dict(_mass_model()))
    mc, s = ev.mc.outputs[0], ev.mc.samples[0]
    se_mean, se_sd = mean_sd_se(s)
    assert mc.y == pytest.approx(rec["exact_moments"][0], abs=N_SE * se_mean)
    assert mc.u == pytest.approx(rec["exact_moments"][1], abs=N_SE * se_sd)
    # The M = 2e7 reference interval has its own error ≈ quantile SE / √20.
    _check_interval(mc.interval, s, rec["MCM_M2e7_symmetric95"], 0.95, ref_err=2e-4)
    # The output pdf is symmetric: shortest endpoints are ill-conditioned, compare the length.
    length = mc.shortest[1] - mc.shortest[0]
    ref_len = rec["MCM_M2e7_symmetric95"][1] - rec["MCM_M2e7_symmetric95"][0]
    assert length == pytest.approx(ref_len, abs=2 * N_SE * quantile_se(s, 0.975))
    # §9.3.2: the GUF (first order) is not validated by the MCM at δ = 0.0005 (ndig = 2)…
    v = ev.validations[0]
    assert not v.passed and v.tolerance == pytest.approx(0.0005)
    # …and d_low, d_high are about 0.044 mg.
    assert v.d_low == pytest.approx(0.044, abs=0.003)


def test_9_3_adaptive_reaches_two_digits():
    """§7.9.4 applied to §9.3 (p. 38 reports ndig = 2): results stable at δ = 0.0005 mg."""
    rec = REF["S1_9.3"]["recomputed"]
    r = montecarlo(model_from_dict(_mass_model(mc={"adaptive": {"digits": 2}})))
    assert r.adaptive and r.converged
    assert r.trials % 10_000 == 0 and r.trials >= 20_000
    assert r.outputs[0].u == pytest.approx(rec["exact_moments"][1], abs=0.0005 * 2)


CASES = REF["S1_9.4"]["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"x1={c['x1']},r={c['r']}" for c in CASES])
def test_9_4_comparison_loss(case):
    """§9.4, Tables 6–11, pp. 41–46: Y = X1² + X2², x2 = 0, u(x_i) = 0.005, p = 0.95."""
    u = REF["S1_9.4"]["u"]
    model = model_from_dict(
        {
            "model": {"Y": "X1**2 + X2**2"},
            "inputs": {
                "X1": {"dist": "normal", "mean": case["x1"], "sd": u},
                "X2": {"dist": "normal", "mean": 0.0, "sd": u},
            },
            "correlations": [["X1", "X2", case["r"]]] if case["r"] else [],
            "method": {"montecarlo": {"trials": TRIALS}, "seed": 94},
        }
    )
    ev = evaluate(model)
    g, mc, s = ev.gum.outputs[0], ev.mc.outputs[0], ev.mc.samples[0]
    assert (g.y, g.u) == pytest.approx(tuple(case["GUF"]), abs=1e-15)
    se_mean, se_sd = mean_sd_se(s)
    assert mc.y == pytest.approx(case["exact_mean_u"][0], abs=N_SE * se_mean + 1e-9)
    assert mc.u == pytest.approx(case["exact_mean_u"][1], abs=N_SE * se_sd + 1e-9)
    _check_interval(mc.interval, s, case["sym95"], 0.95, ref_err=1e-7)
    # The pdfs here are asymmetric, so the shortest interval is well conditioned (§7.7.2).
    lo, hi = mc.shortest
    assert lo == pytest.approx(case["short95"][0], abs=N_SE * quantile_se(s, 0.001) + 1e-7)
    assert hi == pytest.approx(case["short95"][1], abs=N_SE * quantile_se(s, 0.95) + 1e-7)


def test_9_4_exponential_case_is_exact():
    """§9.4.2.1, p. 42: x1 = 0, r = 0 gives Y/(2u²) ~ χ²₂: shortest interval [0, −ln 0.05 · 2u²]."""
    u = REF["S1_9.4"]["u"]
    assert -math.log(0.05) * 2 * u**2 == pytest.approx(CASES[0]["short95"][1], rel=1e-4)


def _gauge_block(mc: bool) -> dict:
    # §9.5.2, Table 12 (p. 47): t-distributed Type A inputs given by their scale, ctrap limits.
    inputs = {
        "L_s": {"dist": "t", "mean": 623, "scale": 25, "dof": 18},
        "D": {"dist": "t", "mean": 215, "scale": 6, "dof": 24},
        "d1": {"dist": "t", "mean": 0, "scale": 4, "dof": 5},
        "d2": {"dist": "t", "mean": 0, "scale": 7, "dof": 8},
        "alpha_s": {"dist": "uniform", "low": 9.5e-6, "high": 13.5e-6},
        "theta0": {"dist": "normal", "mean": -0.1, "sd": 0.2},
        "Delta": {"dist": "arcsine", "low": -0.5, "high": 0.5},
    }
    if mc:
        inputs["delta_alpha"] = {"dist": "ctrap", "low": -1.0e-6, "high": 1.0e-6, "d": 0.1e-6}
        inputs["delta_theta"] = {"dist": "ctrap", "low": -0.050, "high": 0.050, "d": 0.025}
    else:
        # The GUF of §9.5 treats δα and δθ as in GUM H.1: rectangular with ν = 50 and 2.
        inputs["delta_alpha"] = {"dist": "uniform", "low": -1.0e-6, "high": 1.0e-6, "dof": 50}
        inputs["delta_theta"] = {"dist": "uniform", "low": -0.050, "high": 0.050, "dof": 2}
    return {
        "model": {
            "dl": "L_s + D + d1 + d2 - (l_nom + L_s) * (delta_alpha * (theta0 + Delta) + alpha_s * delta_theta)"
        },
        "constants": {"l_nom": 50_000_000},
        "inputs": inputs,
        "method": {"montecarlo": {"trials": TRIALS} if mc else False, "seed": 95, "coverage": 0.99},
    }


def test_9_5_gauge_block_guf():
    """§9.5.4, Table 14, p. 51: GUF 838 nm, u = 32 nm, ν_eff = 16, 99 % [745, 931] nm."""
    rec = REF["S1_9.5"]["recomputed"]
    g = gum(model_from_dict(_gauge_block(mc=False)))["dl"]
    assert g.u == pytest.approx(rec["GUF"][1], abs=0.5e-4)
    assert g.dof == pytest.approx(rec["nu_eff"], abs=0.5e-3)
    assert g.k == pytest.approx(rec["k99"], abs=0.5e-5)
    assert g.interval == pytest.approx(tuple(rec["GUF"][2:]), abs=0.005)


def test_9_5_gauge_block_mcm():
    """§9.5.4, Table 14, p. 51: MCM 838 nm, u = 36 nm, 99 % [745, 932] nm (t scale ≠ sd)."""
    rec, pub = REF["S1_9.5"]["recomputed"]["MCM_M2e7"], REF["S1_9.5"]["pub"]["MCM"]
    ev = evaluate(model_from_dict(_gauge_block(mc=True)))
    mc, s = ev.mc.outputs[0], ev.mc.samples[0]
    se_mean, se_sd = mean_sd_se(s)
    assert mc.y == pytest.approx(rec["mean"], abs=N_SE * se_mean + 0.005)
    assert mc.u == pytest.approx(rec["u"], abs=N_SE * se_sd + 0.005)
    _check_interval(mc.interval, s, rec["sym99"], 0.99, ref_err=0.05)
    assert round(mc.u) == pub[1]
    assert np.round(mc.interval) == pytest.approx(tuple(pub[2:]), abs=1)
