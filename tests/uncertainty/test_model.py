"""The model file: loading, validation, bad and hostile input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from jiliang.uncertainty import (
    UncertaintyModelError,
    evaluate,
    gum,
    load_model,
    model_from_dict,
    model_schema,
)
from jiliang.uncertainty.distributions import Distribution

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "uncertainty"


def base(**over):
    d = {
        "model": {"Y": "a * b"},
        "inputs": {
            "a": {"dist": "normal", "mean": 2.0, "sd": 0.1},
            "b": {"dist": "uniform", "low": 1, "high": 3},
        },
        "method": {"montecarlo": False},
    }
    d.update(over)
    return d


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_load_and_match_the_schema(path):
    jsonschema = pytest.importorskip("jsonschema")
    text = path.read_text()
    jsonschema.Draft202012Validator.check_schema(model_schema())
    jsonschema.Draft202012Validator(model_schema()).validate(yaml.safe_load(text))
    load_model(text)


def test_json_and_yaml_give_the_same_model():
    d = base()
    assert load_model(json.dumps(d)) == load_model(yaml.safe_dump(d))


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"model": {"Y": "a * c"}}, "undefined symbol"),
        ({"model": {"Y": "__import__('os')"}}, "not allowed"),
        (
            {
                "inputs": {
                    "a": {"dist": "normal", "mean": 1, "sd": -1},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "sd must be",
        ),
        (
            {"inputs": {"a": {"dist": "cauchy", "mean": 1}, "b": {"dist": "normal", "mean": 1, "sd": 1}}},
            "unknown distribution 'cauchy'",
        ),
        (
            {
                "inputs": {
                    "a": {"dist": "normal", "mean": 1, "sigma": 1},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "unknown parameter",
        ),
        (
            {
                "inputs": {
                    "a": {"dist": "uniform", "low": 2, "high": 1},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "high",
        ),
        (
            {
                "inputs": {
                    "a": {"dist": "normal", "mean": "1", "sd": 1},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "must be a number",
        ),
        (
            {
                "inputs": {
                    "a": {"dist": "normal", "mean": float("nan"), "sd": 1},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "finite",
        ),
        (
            {
                "inputs": {
                    "a": {"dist": "t", "mean": 0, "sd": 1, "dof": 2},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "dof > 2",
        ),
        ({"inputs": {"a": {"data": [1.0]}, "b": {"dist": "normal", "mean": 1, "sd": 1}}}, "at least 2"),
        ({"inputs": {"a": {"data": [1.0, "x"]}, "b": {"dist": "normal", "mean": 1, "sd": 1}}}, "data\\[1\\]"),
        (
            {
                "inputs": {
                    "a": {"dist": "trapezoid", "low": 0, "high": 1, "beta": 2},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "beta",
        ),
        (
            {
                "inputs": {
                    "a": {"dist": "ctrap", "low": 0, "high": 1, "d": 0.9},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "d must",
        ),
        (
            {
                "inputs": {
                    "a": {"dist": "gamma", "mean": -1, "sd": 1},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "mean must be > 0",
        ),
        ({"correlations": [["a", "b", 1.5]]}, "outside"),
        ({"correlations": [["a", "z", 0.5]]}, "unknown input 'z'"),
        ({"correlations": [["a", "a", 0.5]]}, "itself"),
        ({"correlations": [["a", "b", 0.5], ["b", "a", 0.2]]}, "twice"),
        ({"correlations": "a,b"}, "list"),
        ({"method": {"montecarlo": {"trials": 10**12}}}, "trials"),
        ({"method": {"montecarlo": {"trials": 5}}}, "trials"),
        ({"method": {"montecarlo": {"trials": 10**6, "adaptive": {"digits": 2}}}}, "not both"),
        ({"method": {"montecarlo": {"adaptive": {"digits": 9}}}}, "digits"),
        ({"method": {"coverage": 1.5}}, "coverage"),
        ({"method": {"interval": "widest"}}, "interval"),
        ({"method": {"gum": False, "montecarlo": False}}, "neither"),
        ({"method": {"montecarlo": False, "turbo": True}}, "unknown key"),
        ({"conformity": {"output": "Q", "lower": 1, "upper": 2}}, "unknown output 'Q'"),
        ({"conformity": {"output": "Y", "lower": 3, "upper": 2}}, "below upper"),
        ({"conformity": {"output": "Y", "lower": 1, "rule": "lenient"}}, "rule"),
        ({"extra": 1}, "unknown key"),
        ({"model": {"1Y": "a"}}, "not a valid name"),
        ({"model": {"sqrt": "a"}}, "reserved"),
        ({"model": {}}, "no output"),
        ({"inputs": {}}, "no input"),
        ({"constants": {"a": 1}}, "both an input and a constant"),
    ],
)
def test_bad_models_name_the_item(over, message):
    with pytest.raises(UncertaintyModelError, match=message):
        model_from_dict(base(**over))


def test_correlation_matrix_not_positive_semidefinite():
    d = base(
        model={"Y": "a + b + c"},
        inputs={n: {"dist": "normal", "mean": 0, "sd": 1} for n in "abc"},
        correlations=[["a", "b", 0.9], ["b", "c", 0.9], ["a", "c", -0.9]],
    )
    with pytest.raises(UncertaintyModelError, match="positive semi-definite"):
        model_from_dict(d)


@pytest.mark.parametrize(
    ("expr", "message"),
    [("a / (b - 2)", "divides by zero"), ("log(b - 2) * a", "domain"), ("sqrt(a - 2) + b", "∂Y/∂a")],
)
def test_model_fails_at_the_estimate(expr, message):
    with pytest.raises(UncertaintyModelError, match=message):
        gum(model_from_dict(base(model={"Y": expr})))


def test_montecarlo_leaving_the_domain_is_reported():
    m = model_from_dict(
        base(model={"Y": "log(a - 1.8)"}, method={"gum": False, "montecarlo": {"trials": 10_000}, "seed": 1})
    )
    with pytest.raises(UncertaintyModelError, match="not finite for"):
        evaluate(m)


@pytest.mark.parametrize(
    "text",
    [
        "model: [unclosed",
        "{not json",
        "- just\n- a list\n",
        "model: {Y: a}\ninputs: !!python/object:os.system {}\n",
        "a: &a [1,2]\nb: &b [*a,*a]\nc: &c [*b,*b]\nmodel: *c\ninputs: {}\n",
        "\xff\xfe",
    ],
)
def test_hostile_files(text):
    with pytest.raises(UncertaintyModelError):
        load_model(text)


def test_oversized_file():
    with pytest.raises(UncertaintyModelError, match="larger than"):
        load_model("x" * 3_000_000)


def test_non_utf8_bytes():
    with pytest.raises(UncertaintyModelError, match="not UTF-8"):
        load_model(b"\xff\xfe\x00")


def test_too_many_observations():
    with pytest.raises(UncertaintyModelError, match="observations"):
        Distribution.of("a", {"data": [1.0] * 100_001})


def test_type_a_input_from_data():
    d = Distribution.of("a", {"data": [1.0, 2.0, 3.0, 4.0]})
    assert d.x == 2.5
    assert d.u == pytest.approx(((5 / 3) ** 0.5) / 2)
    assert d.dof == 3


def test_t_scale_versus_sd():
    """JCGM 101 §6.4.9: with scale s the standard deviation is s·√(ν/(ν−2)); with sd it is sd."""
    by_scale = Distribution.of("a", {"dist": "t", "mean": 0, "scale": 1.0, "dof": 4})
    by_sd = Distribution.of("a", {"dist": "t", "mean": 0, "sd": 1.0, "dof": 4})
    assert by_scale.std == pytest.approx(2**0.5)
    assert by_sd.std == pytest.approx(1.0)
    assert by_sd.t_scale == pytest.approx(0.5**0.5)
    assert by_scale.u == 1.0 and by_scale.dof == 4


def test_schema_describes_every_distribution():
    from jiliang.uncertainty.distributions import KINDS

    text = json.dumps(model_schema())
    for kind in KINDS:
        assert f'"{kind}"' in text


def test_correlation_from_paired_observations():
    import numpy as np

    v, i = [5.007, 4.994, 5.005, 4.990, 4.999], [19.663, 19.639, 19.640, 19.685, 19.678]
    m = model_from_dict(
        base(
            model={"Y": "V / I"},
            inputs={"V": {"data": v}, "I": {"data": i}},
            correlations=[["V", "I", "data"]],
        )
    )
    assert m.correlations[0][2] == pytest.approx(np.corrcoef(v, i)[0, 1], rel=1e-14)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"V": {"data": [1.0, 2.0]}, "I": {"dist": "normal", "mean": 1, "sd": 1}},
            "needs observations for 'I'",
        ),
        ({"V": {"data": [1.0, 2.0]}, "I": {"data": [1.0, 2.0, 3.0]}}, "2 and 3 observations"),
        ({"V": {"data": [1.0, 1.0]}, "I": {"data": [1.0, 2.0]}}, "do not vary"),
    ],
)
def test_correlation_from_observations_refused(inputs, message):
    with pytest.raises(UncertaintyModelError, match=message):
        model_from_dict(base(model={"Y": "V / I"}, inputs=inputs, correlations=[["V", "I", "data"]]))


def test_h2_example_has_a_degenerate_gum_region():
    """Z depends on V/I only and R, X on (V/I, φ): the GUM covariance of (R, X, Z) is singular."""
    m = load_model((EXAMPLES / "gum_h2_impedance.yaml").read_text())
    import dataclasses

    m = dataclasses.replace(m, method=dataclasses.replace(m.method, montecarlo=None))
    d = evaluate(m).as_dict()
    region = d["regions"][0]
    assert region["method"] == "gum" and region["k_p"] is None
    assert len(region["ellipses"]) == 3
    assert d["outputs"]["R"]["gum"]["dof"] == 4


@pytest.mark.parametrize(
    "bad",
    [
        {"inputs": {"a": {"dist": "cauchy", "mean": 1}, "b": {"dist": "normal", "mean": 1, "sd": 1}}},
        {
            "inputs": {
                "a": {"dist": "normal", "mean": 1, "sigma": 1},
                "b": {"dist": "normal", "mean": 1, "sd": 1},
            }
        },
        {
            "inputs": {
                "a": {"dist": "t", "mean": 0, "sd": 1, "scale": 1, "dof": 3},
                "b": {"dist": "normal", "mean": 1, "sd": 1},
            }
        },
        {"correlations": [["a", "b", 1.5]]},
        {"method": {"montecarlo": {"trials": 10}}},
        {"conformity": {"output": "Y", "rule": "lenient"}},
        {"turbo": True},
    ],
)
def test_schema_and_loader_both_refuse(bad):
    jsonschema = pytest.importorskip("jsonschema")
    data = base(**bad)
    assert not jsonschema.Draft202012Validator(model_schema()).is_valid(data)
    with pytest.raises(UncertaintyModelError):
        model_from_dict(data)


@pytest.mark.parametrize(
    ("fits", "message"),
    [
        ({"c": {"x": [1, 2], "y": [1, 2]}}, "at least 3"),
        ({"c": {"x": [1, 2, 3], "y": [1, 2]}}, "differ in length"),
        ({"c": {"x": [1, 1, 1], "y": [1, 2, 3]}}, "all values are equal"),
        ({"c": {"x": [1, 2, 3]}}, "needs x and y"),
        ({"c": {"x": [1, 2, 3], "y": [1, 2, 4], "w": 1}}, "unknown key"),
        ({"c": {"x": [1, 2, 3], "y": [1, 2, 4], "responses": []}}, "at least one"),
        ({"c": {"x": [1, 2, 3], "y": [1, "a", 4]}}, "finite number"),
        ({"v": {"x": [1, 2, 3], "y": [1, 2, 4]}}, None),
    ],
)
def test_fits_are_checked(fits, message):
    data = {
        "model": {"Y": "v_a + 1"},
        "inputs": {"v_a": {"dist": "normal", "mean": 1, "sd": 1}},
        "fits": fits,
    }
    if message is None:
        with pytest.raises(UncertaintyModelError, match="defined twice"):
            model_from_dict(data)
        return
    with pytest.raises(UncertaintyModelError, match=message):
        model_from_dict(data)


def test_fit_gives_intercept_and_slope_with_their_correlation():
    """GUM H.3 straight line inside the model file: ŷ(x0) = a + b·x0 and its uncertainty."""
    x = [0.0, 1.0, 2.0, 3.0, 4.0]
    y = [0.1, 0.9, 2.1, 3.0, 3.9]
    m = model_from_dict(
        {
            "model": {"Y": "c_a + c_b * 2"},
            "inputs": {"z": {"dist": "normal", "mean": 0, "sd": 1}},
            "fits": {"c": {"x": x, "y": y}},
            "method": {"montecarlo": False},
        }
    )
    from jiliang.uncertainty import gum, straight_line_fit

    line = straight_line_fit(x, y)
    r = gum(m)["Y"]
    expected = math.sqrt(line.u_y1**2 + 4 * line.u_y2**2 + 4 * line.r * line.u_y1 * line.u_y2)
    assert r.u == pytest.approx(expected, rel=1e-12)
    assert r.u == pytest.approx(line.s / math.sqrt(5), rel=1e-12)  # at the centroid: s/√n
    assert r.dof == pytest.approx(3.0, rel=1e-12)
