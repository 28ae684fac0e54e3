"""Examples of the NIST Uncertainty Machine user's manual and of NIST TN 1900, and NPL's log example.

Sources of the published values:

* NIST TN 1900 (A. Possolo, *Simple Guide for Evaluating and Expressing the Uncertainty of NIST
  Measurement Results*, 2015), Example E13 (thermal expansion coefficient) and Example E3
  (falling-ball viscometer); both are also worked in the NIST Uncertainty Machine User's Manual
  (T. Lafarge, A. Possolo, version 1.4, 2018), which adds the Stefan-Boltzmann constant example.
  The inputs are those of the Uncertainty Machine's own example files
  (usnistgov/NIST-Uncertainty-Machine, ``conf/config-Thermal.txt``, ``config-Viscosity.txt``,
  ``config-Stefan.txt``): distribution code 7 = Gaussian (mean, sd), 11 = Student t (mean, sd, ν),
  i.e. the t input's *standard deviation* is the stated value — our ``t`` with ``sd``.
* NPL Best Practice Guide No. 6 (M. Cox, P. Harris, *Uncertainty evaluation*, DEM-ES 011, 2006),
  §9.2 (Table 9.2): Y = ln X with X rectangular on [0.1, 1.1].

The published figures carry their own rounding and their own Monte Carlo noise; each Monte Carlo
comparison allows ``N_SE`` standard errors of our run plus half a unit of the last published digit.
Where the exact answer is known in closed form (the GUM values, the log example's moments and
shortest interval) it is checked too, as a second route independent of the publication.
"""

from __future__ import annotations

import math

import pytest
from refdata import mean_sd_se, quantile_se

from jiliang.uncertainty import evaluate, model_from_dict

N_SE = 5.0
TRIALS = 1_000_000


def _run(model: dict, inputs: dict, **method: object) -> object:
    spec = {
        "model": model,
        "inputs": inputs,
        "method": {"montecarlo": {"trials": TRIALS}, "seed": 5, **method},
    }
    return evaluate(model_from_dict(spec))


def _mc_close(value: float, published: float, se: float, last_digit: float) -> None:
    assert value == pytest.approx(published, abs=N_SE * se + last_digit / 2)


def test_tn1900_e13_thermal_expansion_coefficient():
    """TN 1900 E13 / NIST UM manual: α = (L1 − L0)/(L0 (T1 − T0)), four t inputs with ν = 3.

    Published: GUM α = 1.7266e-5 /K, u(α) = 1.76e-6 /K; Monte Carlo u(α) = 1.74e-6 /K.
    """
    t = {"dist": "t", "dof": 3}
    ev = _run(
        {"alpha": "(L1 - L0) / (L0 * (T1 - T0))"},
        {
            "L0": {**t, "mean": 1.4999, "sd": 0.0001},
            "T0": {**t, "mean": 288.15, "sd": 0.02},
            "L1": {**t, "mean": 1.5021, "sd": 0.0002},
            "T1": {**t, "mean": 373.10, "sd": 0.05},
        },
    )
    g, mc = ev.gum.outputs[0], ev.mc.outputs[0]
    assert g.y == pytest.approx(1.7266e-5, abs=0.00005e-5)
    assert g.u == pytest.approx(1.76e-6, abs=0.005e-6)
    # Second route: the first-order law by hand, with the partial derivatives written out.
    L0, T0, L1, T1 = 1.4999, 288.15, 1.5021, 373.10
    d = T1 - T0
    sens = (-L1 / (L0**2 * d), (L1 - L0) / (L0 * d**2), 1 / (L0 * d), -(L1 - L0) / (L0 * d**2))
    assert g.u == pytest.approx(
        math.hypot(*(c * u for c, u in zip(sens, (1e-4, 0.02, 2e-4, 0.05), strict=True))), rel=1e-12
    )
    _, se_sd = mean_sd_se(ev.mc.samples[0])
    _mc_close(mc.u, 1.74e-6, se_sd, 0.01e-6)


def test_tn1900_e3_falling_ball_viscometer():
    """TN 1900 E3 / NIST UM manual: μM = μC ((ρB − ρM)/(ρB − ρC)) (tM/tC), Gaussian inputs.

    Published: GUM estimate 5.69 mPa·s; Monte Carlo mean 5.82 mPa·s, u = 1.11 mPa·s, 95 %
    interval (4.05, 8.39) mPa·s. The first-order GUM misses the skew of tM/tC (u(tC)/tC = 15 %):
    the JCGM 101 §8 validation must say so.
    """
    ev = _run(
        {"muM": "muC * ((rhoB - rhoM) / (rhoB - rhoC)) * (tM / tC)"},
        {
            "muC": {"dist": "normal", "mean": 4.63, "sd": 0.0463},
            "rhoB": {"dist": "normal", "mean": 2217, "sd": 0.5},
            "rhoM": {"dist": "normal", "mean": 1180, "sd": 0.5},
            "rhoC": {"dist": "normal", "mean": 810, "sd": 0.5},
            "tM": {"dist": "normal", "mean": 61, "sd": 6.1},
            "tC": {"dist": "normal", "mean": 36.6, "sd": 5.49},
        },
    )
    g, mc, s = ev.gum.outputs[0], ev.mc.outputs[0], ev.mc.samples[0]
    assert g.y == pytest.approx(5.69, abs=0.005)
    se_mean, se_sd = mean_sd_se(s)
    _mc_close(mc.y, 5.82, se_mean, 0.01)
    _mc_close(mc.u, 1.11, se_sd, 0.01)
    _mc_close(mc.interval[0], 4.05, quantile_se(s, 0.025), 0.01)
    _mc_close(mc.interval[1], 8.39, quantile_se(s, 0.975), 0.01)
    assert not ev.validations[0].passed  # JCGM 101 §8: the GUM interval is not validated here


def test_nist_um_stefan_boltzmann_constant_through_intermediate_results():
    """NIST UM manual, Stefan-Boltzmann constant σ = N/D from the 2010 CODATA inputs.

    The manual writes N and D as intermediate results, as here. Published: σ = 5.67037e-8
    W m⁻² K⁻⁴, u(σ) = 2.05e-13; 99 % interval (5.67032e-8, 5.67043e-8).
    """
    ev = _run(
        {
            "N": "32 * pi**5 * h * R**4 * Rinf**4",
            "D": "15 * e**4 * (1e-3)**4 * 299792458**6 * alpha**8",
            "sigma": "N / D",
        },
        {
            "h": {"dist": "normal", "mean": 6.62606957e-34, "sd": 0.00000029e-34},
            "R": {"dist": "normal", "mean": 8.3144621, "sd": 0.0000075},
            "Rinf": {"dist": "normal", "mean": 10973731.568539, "sd": 0.000055},
            "e": {"dist": "normal", "mean": 5.4857990946e-4, "sd": 0.0000000022e-4},
            "alpha": {"dist": "normal", "mean": 7.2973525698e-3, "sd": 0.0000000024e-3},
        },
        coverage=0.99,
    )
    i = [o.name for o in ev.gum.outputs].index("sigma")
    g, mc, s = ev.gum.outputs[i], ev.mc.outputs[i], ev.mc.samples[i]
    assert g.y == pytest.approx(5.67037e-8, abs=0.000005e-8)
    assert g.u == pytest.approx(2.05e-13, abs=0.005e-13)
    # Second route: σ ∝ h R⁴ R∞⁴ e⁻⁴ α⁻⁸, so the relative uncertainties add in quadrature.
    rel = math.hypot(
        0.00000029 / 6.62606957,
        4 * 0.0000075 / 8.3144621,
        4 * 0.000055 / 10973731.568539,
        4 * 0.0000000022 / 5.4857990946,
        8 * 0.0000000024 / 7.2973525698,
    )
    assert g.u == pytest.approx(g.y * rel, rel=1e-9)
    _mc_close(mc.interval[0], 5.67032e-8, quantile_se(s, 0.005), 0.00001e-8)
    _mc_close(mc.interval[1], 5.67043e-8, quantile_se(s, 0.995), 0.00001e-8)


def test_npl_bpg6_log_of_a_rectangular_quantity():
    """NPL BPG 6 §9.2, Table 9.2: Y = ln X, X ~ R(0.1, 1.1).

    Published: GUM y = −0.511, u = 0.481, upper 95 % end 0.432; Monte Carlo y = −0.665, u = 0.606,
    shortest 95 % interval (−1.895, 0.095). Exact: E[Y] and E[Y²] integrate in closed form and the
    shortest interval is (ln 0.15, ln 1.1), since Y's density eʸ grows over its range.
    """
    ev = _run({"Y": "log(X)"}, {"X": {"dist": "uniform", "low": 0.1, "high": 1.1}}, interval="shortest")
    g, mc, s = ev.gum.outputs[0], ev.mc.outputs[0], ev.mc.samples[0]
    assert g.y == pytest.approx(-0.511, abs=0.0005)
    assert g.u == pytest.approx(0.481, abs=0.0005)
    assert g.y + 1.96 * g.u == pytest.approx(0.432, abs=0.0005)

    def antiderivative(x: float, power: int) -> float:
        ln = math.log(x)
        return x * (ln - 1) if power == 1 else x * (ln * ln - 2 * ln + 2)

    mean = antiderivative(1.1, 1) - antiderivative(0.1, 1)
    sd = math.sqrt(antiderivative(1.1, 2) - antiderivative(0.1, 2) - mean**2)
    se_mean, se_sd = mean_sd_se(s)
    for value, published, exact, se in ((mc.y, -0.665, mean, se_mean), (mc.u, 0.606, sd, se_sd)):
        _mc_close(value, published, se, 0.001)
        assert value == pytest.approx(exact, abs=N_SE * se)
    lo, hi = mc.shortest
    _mc_close(lo, -1.895, quantile_se(s, 0.05), 0.001)
    assert lo == pytest.approx(math.log(0.15), abs=N_SE * quantile_se(s, 0.05) + 0.001)
    assert hi == pytest.approx(math.log(1.1), abs=1e-3)
    _mc_close(hi, 0.095, 0.0, 0.001)
