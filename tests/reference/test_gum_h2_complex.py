"""GUM H.2 (JCGM 100:2008 H.2.4, Table H.4, p. 74) written as a complex quantity (JCGM 102:2011
§6): the impedance Z = (V/I)·e^{jφ} has real part R, imaginary part X and magnitude |Z|; its
2 × 2 covariance (and that of |Z|) must reproduce the published resistance, reactance and
impedance, their uncertainties and correlation coefficients."""

from __future__ import annotations

import numpy as np
import pytest
from refdata import reference

from jiliang.uncertainty import gum, model_from_dict

REF = reference()
V = [5.007, 4.994, 5.005, 4.990, 4.999]
I_MA = [19.663, 19.639, 19.640, 19.685, 19.678]
PHI = [1.0456, 1.0438, 1.0468, 1.0428, 1.0433]


def test_h2_through_the_complex_impedance():
    model = model_from_dict(
        {
            "model": {"Z": {"complex": "V / I * 1000 * exp(j * phi)", "polar": True}},
            "inputs": {"V": {"data": V}, "I": {"data": I_MA}, "phi": {"data": PHI}},
            "correlations": [["V", "I", "data"], ["V", "phi", "data"], ["I", "phi", "data"]],
            "units": {"Z": "ohm"},
            "method": {"montecarlo": False},
        }
    )
    ref, pub = REF["GUM_H2"]["recomputed"], REF["GUM_H2"]["pub"]
    g = gum(model)
    for ours, theirs in (("Z_re", "R"), ("Z_im", "X"), ("Z_mag", "Z")):
        assert g[ours].y == pytest.approx(ref[theirs][0], rel=1e-9)
        assert g[ours].u == pytest.approx(ref[theirs][1], rel=1e-7)
        assert g[ours].y == pytest.approx(pub[theirs][0], abs=0.0005 + 1e-12)
        # Table H.4 prints u(X) = 0.295 for 0.29558 (computed from rounded means): ±1 unit
        assert g[ours].u == pytest.approx(pub[theirs][1], abs=0.001)
        assert g[ours].dof == pytest.approx(ref["dof"])
    corr = np.array(g.correlation)
    assert corr[0, 1] == pytest.approx(pub["r_RX"], abs=0.005)
    assert corr[0, 2] == pytest.approx(pub["r_RZ"], abs=0.005)
    assert corr[1, 2] == pytest.approx(pub["r_XZ"], abs=0.005)
    # the phase of Z is φ itself
    assert g["Z_phase"].y == pytest.approx(np.mean(PHI), rel=1e-14)
    assert dict(model.units)["Z_re"] == "ohm" and dict(model.units)["Z_phase"] == "rad"
