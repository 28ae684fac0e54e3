"""EURACHEM/CITAC QUAM:2012 Appendix A5 (cadmium released from ceramic ware), as GTC evaluates it.

Sources: EURACHEM/CITAC Guide "Quantifying Uncertainty in Analytical Measurement", 3rd edition
(2012), Appendix A5 (A5.4 calibration data, Figure A5.8 budget); the GTC documentation example
``MSLNZ/GTC: docs/API/CITAC_A5.rst`` (intercept 0.0087(29), slope 0.2410(50), r = −0.87038,
c₀ = 0.260(18), r = 0.0150(14) mg dm⁻², budget line of c₀ 0.00102956) and the ``x_from_y``
docstring of ``GTC/type_a.py`` (c₀ = 0.2601659751037, u = 0.01784461112558, ν = 13).

The intercept, slope and the mean of the two sample absorbances share one variance estimate (the
residual standard deviation of the regression, ν = 13): GTC makes them one ensemble (Willink 2007,
``append_real_ensemble``), which gives ν_eff = 45.2 for r (GTC 1.5.1); treating them as
independent terms of Welch–Satterthwaite gives 64.9.
"""

from __future__ import annotations

import math

import pytest

from jiliang.uncertainty import gum, model_from_dict, straight_line_fit

#: GTC prints results to two significant digits of u; values compared within half a unit of
#: the last printed digit.
HALF_UNIT_C0 = 0.0005
HALF_UNIT_R = 0.00005
#: GTC's printed floats (12–13 significant digits).
REL_GTC = 1e-10
#: ν_eff quoted to one decimal.
HALF_UNIT_DOF = 0.05

X = [0.1] * 3 + [0.3] * 3 + [0.5] * 3 + [0.7] * 3 + [0.9] * 3
Y = [0.028, 0.029, 0.029, 0.084, 0.083, 0.081, 0.135, 0.131, 0.133, 0.180, 0.181, 0.183, 0.215, 0.230, 0.216]
SAMPLE = [0.0712, 0.0716]


def _tri(c: float, a: float) -> dict:
    return {"dist": "triangular", "low": c - a, "mode": c, "high": c + a}


def _uni(c: float, a: float) -> dict:
    return {"dist": "uniform", "low": c - a, "high": c + a}


def _normal(mean: float, sd: float, **extra: float) -> dict:
    return {"dist": "normal", "mean": mean, "sd": sd, **extra}


def a5_model(ensemble: bool = True, intermediates: bool = False) -> dict:
    fit = straight_line_fit(X, Y)
    nu = fit.dof
    if intermediates:
        outputs = {
            "c0": "(A0 - B0) / B1",
            "V_L": "(332 * v_fill * v_reading + v_temp + v_cal) / 1000",
            "a_V": "pi * (dia / 2)**2 * a_shape",
            "r": "c0 * V_L / a_V * f_acid * f_time * f_temp",
        }
    else:
        outputs = {
            "r": "(A0 - B0) / B1 * ((332 * v_fill * v_reading + v_temp + v_cal) / 1000)"
            " / (pi * (dia / 2)**2 * a_shape) * f_acid * f_time * f_temp"
        }
    model = {
        "model": outputs,
        "inputs": {
            "B0": _normal(fit.y1, fit.u_y1, dof=nu),
            "B1": _normal(fit.y2, fit.u_y2, dof=nu),
            # x_from_y: the mean of p = 2 absorbances with u = s/√p, s from the regression
            "A0": _normal(sum(SAMPLE) / 2, fit.s / math.sqrt(len(SAMPLE)), dof=nu),
            "v_fill": _tri(0.995, 0.005),
            "v_temp": _uni(0.0, 332 * 2.1e-4 * 2),
            "v_reading": _tri(1.0, 0.01),
            "v_cal": _tri(0.0, 2.5),
            "dia": _normal(2.70, 0.01),
            "a_shape": _normal(1.0, 0.05 / 1.96),
            "f_temp": _uni(1.0, 0.1),
            "f_time": _uni(1.0, 0.0015),
            "f_acid": _normal(1.0, 0.0008),
        },
        "correlations": [["B0", "B1", fit.r]],
        "method": {"montecarlo": False},
    }
    if ensemble:
        model["ensembles"] = [["B0", "B1", "A0"]]
    return model


def test_calibration_line_as_gtc():
    """GTC CITAC_A5: intercept 0.0087(29), slope 0.2410(50), r(B0, B1) = −0.87038."""
    fit = straight_line_fit(X, Y)
    assert fit.y1 == pytest.approx(0.0087, abs=0.00005)
    assert fit.u_y1 == pytest.approx(0.0029, abs=0.00005)
    assert fit.y2 == pytest.approx(0.2410, abs=0.00005)
    assert fit.u_y2 == pytest.approx(0.0050, abs=0.00005)
    assert math.trunc(fit.r * 1e5) / 1e5 == -0.87038  # GTC's doctest prints -0.87038...


def test_leached_cadmium_dof_with_the_regression_ensemble():
    """QUAM A5 / GTC: r = 0.0150(14) mg dm⁻²; ν_eff = 45.2 with the shared-variance ensemble."""
    r = gum(model_from_dict(a5_model()))["r"]
    assert r.y == pytest.approx(0.0150, abs=HALF_UNIT_R)
    assert r.u == pytest.approx(0.0014, abs=HALF_UNIT_R)
    assert r.dof == pytest.approx(45.2, abs=HALF_UNIT_DOF)
    assert r.warnings == ()


def test_without_the_ensemble_welch_satterthwaite_overstates_dof():
    r = gum(model_from_dict(a5_model(ensemble=False)))["r"]
    assert r.dof == pytest.approx(64.9, abs=HALF_UNIT_DOF)


def test_ensemble_declaration_is_checked():
    from jiliang.uncertainty import UncertaintyModelError

    bad = a5_model()
    bad["ensembles"] = [["B0", "B1", "dia"]]  # dia has no finite dof
    with pytest.raises(UncertaintyModelError, match="share one finite dof"):
        model_from_dict(bad)
    bad["ensembles"] = [["B0", "nope"]]
    with pytest.raises(UncertaintyModelError, match="unknown input 'nope'"):
        model_from_dict(bad)
    bad["ensembles"] = [["B0", "B1"], ["B1", "A0"]]
    with pytest.raises(UncertaintyModelError, match="already in ensembles"):
        model_from_dict(bad)
    bad["ensembles"] = [["B0"]]
    with pytest.raises(UncertaintyModelError, match="at least two"):
        model_from_dict(bad)


def test_a5_model_file_matches_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from jiliang.uncertainty import model_schema

    jsonschema.Draft202012Validator(model_schema()).validate(a5_model())


def test_intermediate_results_as_gtc_result():
    """GTC CITAC_A5 with ``result()``: V_L = 0.3303(18) L, a_V = 5.73(15) dm², c₀ from
    ``x_from_y`` = 0.2601659751037 ± 0.01784461112558 (ν = 13), and c₀'s line of the budget
    of r, 0.00102956; r itself and its ν_eff are those of the inlined model."""
    r = gum(model_from_dict(a5_model(intermediates=True)))
    c0, v_l, a_v, out = r["c0"], r["V_L"], r["a_V"], r["r"]
    assert c0.y == pytest.approx(0.2601659751037, rel=REL_GTC)
    assert c0.u == pytest.approx(0.01784461112558, rel=REL_GTC)
    assert c0.dof == pytest.approx(13.0, rel=1e-12)
    assert v_l.y == pytest.approx(0.3303, abs=0.00005)
    assert v_l.u == pytest.approx(0.0018, abs=0.00005)
    assert a_v.y == pytest.approx(5.73, abs=0.005)
    assert a_v.u == pytest.approx(0.15, abs=0.005)
    assert out.y / c0.y * c0.u == pytest.approx(0.00102956, abs=0.000000005)
    flat = gum(model_from_dict(a5_model()))["r"]
    assert out.y == pytest.approx(flat.y, rel=1e-14)
    assert out.u == pytest.approx(flat.u, rel=1e-12)
    assert out.dof == pytest.approx(45.2, abs=HALF_UNIT_DOF)
    # the outputs stay correlated through their common inputs: r grows with c0, falls with a_V
    names = [o.name for o in r.outputs]
    corr = r.correlation
    assert corr[names.index("c0")][names.index("r")] > 0.7
    assert corr[names.index("a_V")][names.index("r")] < -0.2
    assert corr[names.index("c0")][names.index("a_V")] == 0.0


def test_calibration_line_fitted_inside_the_model_file():
    """The same evaluation with the line fitted by the model file itself (``fits``): cal_a, cal_b
    and cal_y (the mean of the two sample absorbances) form the ensemble automatically."""
    data = a5_model(intermediates=True)
    for name in ("B0", "B1", "A0"):
        del data["inputs"][name]
    del data["correlations"], data["ensembles"]
    data["fits"] = {"cal": {"x": X, "y": Y, "responses": SAMPLE}}
    data["model"]["c0"] = "(cal_y - cal_a) / cal_b"
    m = model_from_dict(data)
    assert m.ensembles == (("cal_a", "cal_b", "cal_y"),)
    r = gum(m)
    assert r["c0"].y == pytest.approx(0.2601659751037, rel=REL_GTC)
    assert r["c0"].u == pytest.approx(0.01784461112558, rel=REL_GTC)
    assert r["r"].dof == pytest.approx(45.2, abs=HALF_UNIT_DOF)
    jsonschema = pytest.importorskip("jsonschema")
    from jiliang.uncertainty import model_schema

    jsonschema.Draft202012Validator(model_schema()).validate(data)
