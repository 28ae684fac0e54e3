"""Examples printed in the NIST Decision Tree repository (usnistgov/NIST-Decision-Tree).

``tmp_input.json`` / ``tmp_output.json`` at commit d7633c8: measured values 1, 2, 3 with standard
uncertainties 1, 1, 1 give "Cochrans Q Test for Homogeneity" p-value 0.3679 (printed to 4 decimals).
The test is Cochran's Q = Σ(x_i − x̄_w)²/u_i² against χ²(n − 1): Q = 2, ν = 2, p = e^−1.
"""

from __future__ import annotations

import math

import pytest

from jiliang.stats import LabResults, choose_model, cochran_q

#: Printed to 4 decimals: half a unit of the last digit.
PRINTED_TOL = 5e-5


def test_cochran_q_example():
    data = LabResults.of(["1", "2", "3"], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], dof=[100, 100, 100])
    x, u = data.arrays()
    q = cochran_q(x, u)
    assert q.p_value == pytest.approx(0.3679, abs=PRINTED_TOL)
    assert q.p_value == pytest.approx(math.exp(-1), rel=1e-12)


def test_homogeneous_example_takes_the_common_mean():
    # Decision Tree manual, first node: homogeneous data (Cochran p ≥ 0.05) → common-mean model.
    data = LabResults.of(["1", "2", "3"], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    choice = choose_model(data)
    assert choice.nist_model == "common mean" and choice.estimator == "weighted_mean"
