"""Model file 1.2: ANOVA inputs, the Student-t copula, implicit outputs and schema_version; files of
1.0 and 1.1 still load (and validate against the 1.2 schema)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from jiliang.uncertainty import UncertaintyModelError, evaluate, gum, model_from_dict, model_schema
from jiliang.uncertainty.typea import anova, anova_from_summary

# a file written for 1.0 (before intermediate outputs, ensembles and the new inputs)
V10 = """
name: 1.0 file
model: {P: "V**2 / R * (1 + a * (t - t0))"}
constants: {t0: 20}
inputs:
  V: {dist: normal, mean: 10, sd: 0.1, unit: V}
  R: {dist: uniform, low: 99, high: 101}
  a: {dist: t, mean: 0.004, scale: 0.0001, dof: 9}
  t: {data: [20.1, 20.3, 19.9, 20.2]}
correlations: [[V, R, 0.2]]
conformity: {output: P, lower: 0.9, upper: 1.1, rule: guard_band}
method: {gum: true, montecarlo: {trials: 20000}, seed: 7, coverage: 0.95}
"""
V12 = """
schema_version: "1.2"
name: 1.2 file
model:
  Y: {implicit: "Y**3 + a * Y - b", bracket: [0, 10]}
  Z: "solve(Z - c * Y, Z, -100, 100)"
inputs:
  a: {dist: normal, mean: 2, sd: 0.05}
  b: {dist: normal, mean: 12, sd: 0.1}
  c: {anova: [[1.01, 0.99, 1.02], [0.98, 1.00, 0.99], [1.03, 1.01, 1.02]]}
correlations: [[a, b, 0.5]]
copula: {kind: t, dof: 4}
method: {montecarlo: {trials: 20000}, seed: 3}
"""


def _valid(text: str) -> dict:
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.safe_load(text)
    jsonschema.Draft202012Validator.check_schema(model_schema())
    jsonschema.Draft202012Validator(model_schema()).validate(data)
    return data


@pytest.mark.parametrize("version", [None, "1.0", "1.1", "1.2"])
def test_a_1_0_file_still_loads_validates_and_evaluates(version):
    data = _valid(V10)
    if version:
        data["schema_version"] = version
    ev = evaluate(model_from_dict(data))
    assert ev.gum["P"].y == pytest.approx(1.0 * (1 + 0.004 * 0.125), rel=1e-12)
    assert ev.mc is not None and ev.decision is not None


def test_a_1_2_file_validates_and_evaluates():
    ev = evaluate(model_from_dict(_valid(V12)))
    assert ev.gum["Y"].y == pytest.approx(2.0, rel=1e-14)
    assert ev.gum["Z"].y == pytest.approx(2.0 * ev.model.inputs[2].x, rel=1e-14)
    assert ev.model.copula_dof == 4 and ev.mc.trials == 20_000


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"schema_version": "2.0"}, "schema_version"),
        ({"copula": {"kind": "clayton"}}, "copula.kind"),
        ({"copula": {"kind": "t"}}, "t copula is"),
        ({"copula": {"kind": "t", "dof": 0}}, "copula.dof"),
        ({"copula": {"kind": "gaussian", "dof": 3}}, "unknown key"),
        ({"inputs": {"x": {"anova": [[1, 2]]}}}, "at least two groups"),
        ({"inputs": {"x": {"anova": [[1, 2], [3]]}}}, "at least two finite"),
        ({"inputs": {"x": {"anova": [[1, 2], [3, "a"]]}}}, "must be a number"),
        ({"inputs": {"x": {"anova": {"means": [1, 2], "sds": [0.1], "n": [3, 3]}}}}, "alike"),
        ({"inputs": {"x": {"anova": {"means": [1, 2]}}}}, "exactly means, sds and n"),
        ({"inputs": {"x": {"anova": 5}}}, "list of groups"),
        ({"inputs": {"x": {"anova": [[1, 2], [3, 4]], "dof": 3}}}, "unknown parameter"),
        ({"inputs": {"x": {"anova": [[1.0] * 60_000, [2.0] * 60_000]}}}, "more than 100000"),
    ],
)
def test_bad_1_2_features_are_refused(patch, needle):
    data = {"model": {"y": "x"}, "inputs": {"x": {"dist": "normal", "mean": 1, "sd": 0.1}}} | patch
    with pytest.raises(UncertaintyModelError, match=needle):
        model_from_dict(data)


def test_anova_of_raw_groups_equals_the_summary_route():
    rng = np.random.default_rng(5)
    for _ in range(20):
        groups = [
            rng.normal(10, 0.1, int(rng.integers(2, 8))).tolist() for _ in range(int(rng.integers(2, 9)))
        ]
        a = anova(groups)
        b = anova_from_summary(
            [float(np.mean(g)) for g in groups],
            [float(np.std(g, ddof=1)) for g in groups],
            [len(g) for g in groups],
        )
        assert a == b
        # one-way ANOVA identities: F = MS_between / MS_within, from all the observations at once
        allx = np.concatenate(groups)
        ss_w = sum(((np.array(g) - np.mean(g)) ** 2).sum() for g in groups)
        ss_b = sum(len(g) * (np.mean(g) - allx.mean()) ** 2 for g in groups)
        k, n = len(groups), allx.size
        assert a.F == pytest.approx((ss_b / (k - 1)) / (ss_w / (n - k)), rel=1e-9)
        assert a.u == pytest.approx(np.std([np.mean(g) for g in groups], ddof=1) / np.sqrt(k), rel=1e-12)


def _pair(copula: dict | None, seed: int) -> np.ndarray:
    data = {
        "model": {"a": "x", "b": "y"},
        "inputs": {
            "x": {"dist": "normal", "mean": 0, "sd": 1},
            "y": {"dist": "uniform", "low": -1, "high": 1},
        },
        "correlations": [["x", "y", 0.6]],
        "method": {"montecarlo": {"trials": 200_000}, "seed": seed},
    }
    if copula is not None:
        data["copula"] = copula
    return evaluate(model_from_dict(data)).mc.samples


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_t_copula_keeps_the_marginals_and_fattens_the_joint_tails(seed):
    t = _pair({"kind": "t", "dof": 3}, seed)
    g = _pair(None, seed)
    # marginals: N(0, 1) and U(−1, 1) under both copulas (a few standard errors at M = 2e5)
    for s in (t, g):
        assert abs(s[0].mean()) < 0.015 and abs(s[0].std() - 1) < 0.01
        assert abs(s[1].mean()) < 0.01 and abs(s[1].std() - 1 / np.sqrt(3)) < 0.01
        assert s[1].min() >= -1 and s[1].max() <= 1

    def joint_tail(s: np.ndarray) -> float:
        qa, qb = np.quantile(s[0], 0.99), np.quantile(s[1], 0.99)
        return float(np.mean((s[0] > qa) & (s[1] > qb)))

    # the t copula puts more mass in the joint tails than the Gaussian with the same r
    assert joint_tail(t) > 1.5 * joint_tail(g)


def test_t_copula_does_not_change_the_gum():
    data = yaml.safe_load(V12)
    plain = {k: v for k, v in data.items() if k != "copula"}
    a, b = gum(model_from_dict(data)), gum(model_from_dict(plain))
    assert a == b
