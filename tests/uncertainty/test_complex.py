"""Complex inputs and outputs (JCGM 102 §6) as pairs of real quantities: the rewriting into real and
imaginary parts is checked against Python's own complex arithmetic (an independent route), the
GUM covariance of the parts against the Monte Carlo, and bad specifications are refused."""

from __future__ import annotations

import cmath

import numpy as np
import pytest

from jiliang.uncertainty import UncertaintyModelError, evaluate, gum, model_from_dict
from jiliang.uncertainty.complexmodel import split
from jiliang.uncertainty.expr import compile_scalar, parse

EXPRESSIONS = [
    ("Z1 * Z2 / (Z1 + Z2)", lambda z1, z2, a: z1 * z2 / (z1 + z2)),
    ("conj(Z1) * Z2 - 2.5j + a", lambda z1, z2, a: z1.conjugate() * z2 - 2.5j + a),
    ("exp(j * a) * Z1 ** 3 / Z2 ** -2", lambda z1, z2, a: cmath.exp(1j * a) * z1**3 / z2**-2),
    ("abs(Z1 - Z2) + arg(Z1) * j", lambda z1, z2, a: abs(z1 - z2) + cmath.phase(z1) * 1j),
    ("sqrt(Z1) + re(Z2) - im(Z2) * j", lambda z1, z2, a: cmath.sqrt(z1) + z2.real - z2.imag * 1j),
    ("-(Z1 - 1) / (a + j)", lambda z1, z2, a: -(z1 - 1) / (a + 1j)),
]


@pytest.mark.parametrize(("text", "python"), EXPRESSIONS, ids=[t for t, _ in EXPRESSIONS])
def test_real_and_imaginary_parts_equal_complex_arithmetic(text, python):
    names = ["Z1_re", "Z1_im", "Z2_re", "Z2_im", "a"]
    re_text, im_text = split(text, frozenset({"Z1", "Z2"}))
    f_re, f_im = compile_scalar(parse(re_text), names), compile_scalar(parse(im_text), names)
    rng = np.random.default_rng(102)
    for _ in range(50):
        x = rng.uniform(-3, 3, 5).tolist()
        want = python(complex(x[0], x[1]), complex(x[2], x[3]), x[4])
        assert f_re(x) == pytest.approx(want.real, rel=1e-12, abs=1e-12)
        assert f_im(x) == pytest.approx(want.imag, rel=1e-12, abs=1e-12)


def _parallel(**method) -> object:
    return model_from_dict(
        {
            "model": {"W": {"complex": "Z1 * Z2 / (Z1 + Z2)", "polar": True}},
            "inputs": {
                "Z1": {"complex": {"re": 50, "im": 10, "u_re": 0.5, "u_im": 0.3, "r": 0.2, "unit": "ohm"}},
                "Z2": {"complex": {"re": 30, "im": -20, "u_re": 0.4, "u_im": 0.2}},
            },
            "units": {"W": "ohm"},
            "method": method,
        }
    )


def test_complex_output_value_parts_and_polar_form():
    g = gum(_parallel(montecarlo=False))
    w = complex(50, 10) * complex(30, -20) / (complex(50, 10) + complex(30, -20))
    assert (g["W_re"].y, g["W_im"].y) == pytest.approx((w.real, w.imag), rel=1e-14)
    assert g["W_mag"].y == pytest.approx(abs(w), rel=1e-14)
    assert g["W_phase"].y == pytest.approx(cmath.phase(w), rel=1e-14)
    # the 2 × 2 covariance of (W_re, W_im) is the leading block of the output covariance
    cov = np.array(g.covariance)[:2, :2]
    assert cov[0, 0] == pytest.approx(g["W_re"].u ** 2) and cov[0, 1] == cov[1, 0]


def test_complex_input_gives_two_correlated_real_inputs():
    m = _parallel(montecarlo=False)
    assert m.input_names == ("Z1_re", "Z1_im", "Z2_re", "Z2_im")
    assert m.correlations == (("Z1_re", "Z1_im", 0.2),)
    assert dict(m.units)["Z1_re"] == "ohm" and dict(m.units)["W_phase"] == "rad"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gum_covariance_of_the_parts_agrees_with_the_monte_carlo(seed):
    ev = evaluate(_parallel(montecarlo={"trials": 200_000}, seed=seed))
    g, mc = np.array(ev.gum.covariance), np.array(ev.mc.covariance)
    # nearly linear at these uncertainties: the two covariances agree to a few per cent
    assert np.allclose(np.diag(mc), np.diag(g), rtol=0.03)
    assert np.allclose(np.array(ev.mc.correlation), np.array(ev.gum.correlation), atol=0.02)


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"inputs": {"Z": {"complex": {"re": 1, "im": 0}}}}, "a complex input is"),
        ({"inputs": {"Z": {"complex": {"re": 1, "im": 0, "u_re": 0.1, "u_im": 0.1, "r": 2}}}}, "r must be"),
        (
            {"inputs": {"Z": {"complex": {"re": 1, "im": 0, "u_re": 0.1, "u_im": 0.1}, "unit": "V"}}},
            "complex input",
        ),
        ({"model": {"W": {"complex": "Z ** 0.5"}}}, "integer powers"),
        ({"model": {"W": {"complex": "Z ** 99"}}}, "integer powers"),
        ({"model": {"W": {"complex": "log(Z)"}}}, "not allowed"),
        ({"model": {"W": {"complex": "Z.real"}}}, "Attribute is not allowed"),
        ({"model": {"W": {"complex": "Z", "polar": "yes"}}}, "polar: true or false"),
        ({"model": {"W": {"complex": "Z", "parts": ["re"]}}}, "a complex output is"),
        ({"model": {"W": {"complex": ""}}}, "1 to 4000 characters"),
        ({"model": {"W": {"complex": "__import__('os')"}}}, "is not a number"),
        ({"model": {"W": {"complex": "__import__(Z)"}}}, "not allowed"),
        ({"model": {"W": {"complex": "Z + os"}}}, "undefined symbol"),
    ],
)
def test_bad_complex_specifications_are_refused(patch, needle):
    data = {
        "model": {"W": {"complex": "2 * Z"}},
        "inputs": {"Z": {"complex": {"re": 1, "im": 2, "u_re": 0.1, "u_im": 0.1}}},
        "method": {"montecarlo": False},
    } | patch
    with pytest.raises(UncertaintyModelError, match=needle):
        gum(model_from_dict(data))


def test_complex_model_files_match_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from jiliang.uncertainty import model_schema

    data = {
        "schema_version": "1.2",
        "model": {"W": {"complex": "Z1 * Z2 / (Z1 + Z2)", "polar": True}, "P": "W_mag * 2"},
        "inputs": {
            "Z1": {"complex": {"re": 50, "im": 10, "u_re": 0.5, "u_im": 0.3, "r": 0.2, "unit": "ohm"}},
            "Z2": {"complex": {"re": 30, "im": -20, "u_re": 0.4, "u_im": 0.2, "dof": 9}},
        },
        "units": {"W": "ohm"},
        "method": {"montecarlo": False},
    }
    jsonschema.Draft202012Validator(model_schema()).validate(data)
    g = gum(model_from_dict(data))
    assert g["P"].y == pytest.approx(2 * g["W_mag"].y)
    assert g["W_re"].dof < 1e6  # Z2's dof reaches the outputs
