"""Degrees of equivalence, model choice and PT scores."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.stats import (
    LabResults,
    bilateral_does,
    choose_model,
    en_class,
    evaluate_comparison,
    homogeneity_check,
    pt_scores,
    stability_check,
    symmetry_test,
    z_class,
)

DATA = LabResults.of(
    ["A", "B", "C", "D"], [10.0, 10.4, 9.7, 12.0], [0.2, 0.3, 0.25, 0.5], included=[True, True, True, False]
)


def test_weighted_mean_does_use_minus_for_included_and_plus_for_excluded():
    ev = evaluate_comparison(DATA, "weighted_mean")
    uy = ev.reference.u
    by = {d.lab: d for d in ev.labs}
    assert by["A"].u_d == pytest.approx(math.sqrt(0.2**2 - uy**2))
    assert by["D"].u_d == pytest.approx(math.sqrt(0.5**2 + uy**2))
    assert by["D"].U_d == pytest.approx(2 * by["D"].u_d)
    assert by["D"].En == pytest.approx(by["D"].d / by["D"].U_d)
    assert by["D"].zeta == pytest.approx(by["D"].d / by["D"].u_d)
    assert not by["D"].included


def test_tau_included_or_not_is_stated_and_changes_u_d():
    with_tau = evaluate_comparison(DATA, "paule_mandel", include_tau=True)
    without = evaluate_comparison(DATA, "paule_mandel", include_tau=False)
    tau = with_tau.reference.tau
    assert tau > 0
    assert "included in u(d_i)" in with_tau.convention and "not included" in without.convention
    a = {d.lab: d for d in with_tau.labs}["A"]
    b = {d.lab: d for d in without.labs}["A"]
    c = dict(zip(with_tau.reference.included, with_tau.reference.weights))
    u = dict(zip(DATA.labs, DATA.u))
    assert a.u_d**2 == pytest.approx(0.2**2 + tau**2 - with_tau.reference.u**2)
    assert b.u_d**2 == pytest.approx(
        0.2**2 * (1 - c["A"]) ** 2 + sum(c[k] ** 2 * u[k] ** 2 for k in c if k != "A")
    )


def test_mean_of_two_equal_values_has_positive_u_d():
    data = LabResults.of(["A", "B"], [1.0, 1.0], [0.1, 0.1])
    ev = evaluate_comparison(data, "mean")
    assert all(d.u_d == pytest.approx(0.1 / 2**0.5) for d in ev.labs)


def test_bilateral():
    pairs = bilateral_does(DATA)
    assert len(pairs) == 6
    ab = pairs[0]
    assert (ab.lab_i, ab.lab_j) == ("A", "B")
    assert ab.d == pytest.approx(-0.4) and ab.u_d == pytest.approx(math.hypot(0.2, 0.3))


def test_model_choice_heterogeneous_data():
    rng = np.random.default_rng(3)
    x = 5 + rng.normal(0, 1, 12)
    data = LabResults.of([str(i) for i in range(12)], x, [0.05] * 12)
    choice = choose_model(data)
    assert choice.tests[0].name == "Cochran's Q homogeneity"
    assert not choice.tests[0].passed
    assert choice.estimator in {"hierarchical_gauss", "median", "linear_pool"}


def test_symmetry_test_flags_a_skewed_sample():
    x = np.array([1.0, 1.1, 1.2, 1.1, 1.0, 1.3, 1.2, 1.1, 5.0, 6.0, 7.0, 1.05, 1.15, 1.1, 8.0])
    assert not symmetry_test(x).passed


def test_pt_scores_and_classes():
    s = pt_scores(
        ["A", "B", "C"], [10.5, 10.7, 11.0], [0.1, 0.1, 0.1], assigned=10.0, u_assigned=0.05, sigma_pt=0.25
    )
    assert [x.z_class for x in s] == ["satisfactory", "questionable", "unsatisfactory"]
    assert s[0].z_prime == pytest.approx(0.5 / math.hypot(0.25, 0.05))
    assert s[0].zeta == pytest.approx(0.5 / math.hypot(0.1, 0.05))
    assert s[0].En == pytest.approx(0.5 / math.hypot(0.2, 0.1))
    assert z_class(-2.0) == "satisfactory" and z_class(2.0001) == "questionable"
    assert en_class(1.0) == "satisfactory" and en_class(-1.01) == "unsatisfactory"


def test_pt_scores_without_sigma_pt_leave_z_empty():
    s = pt_scores(["A"], [10.5], [0.1], assigned=10.0)[0]
    assert s.z is None and s.zeta is None and s.En is None


def test_homogeneity_and_stability():
    h = homogeneity_check([[1.0, 1.2], [1.1, 1.1], [0.9, 1.0]], sigma_pt=0.1)
    assert h.criterion == pytest.approx(0.03) and not h.passed
    assert stability_check([1.0, 1.02], [1.01, 1.03], sigma_pt=0.1).passed
