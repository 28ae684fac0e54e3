"""One model-file reader and one Monte Carlo cap for every caller (CLI, console, API, budgets)."""

from __future__ import annotations

import pytest

from jiliang.uncertainty import UncertaintyModelError, model_from_dict
from jiliang.uncertainty.errors import ModelTooLargeError
from jiliang.uncertainty.evaluation import INTERACTIVE_MAX_TRIALS, capped
from jiliang.uncertainty.model import load_model, read_model_file

BASE = {"model": {"y": "2 * x"}, "inputs": {"x": {"dist": "normal", "mean": 1, "sd": 0.1}}}


def _model(montecarlo: object) -> object:
    return model_from_dict(BASE | {"method": {"montecarlo": montecarlo}})


def test_fixed_trials_above_the_cap_are_refused():
    with pytest.raises(UncertaintyModelError, match="more than the limit 50000"):
        capped(_model({"trials": 60_000}), 50_000)


def test_adaptive_procedure_is_stopped_at_the_cap_and_threads_bounded():
    m = capped(_model({"adaptive": {"digits": 3}, "workers": 4}), 50_000, 1)
    spec = m.method.montecarlo
    assert spec.max_trials == 50_000 and spec.workers == 1 and spec.digits == 3


def test_models_within_the_cap_are_unchanged():
    m = _model({"trials": 20_000, "max_trials": 30_000})
    assert capped(m, 50_000, 1) is m
    assert capped(m, None, None) is m


def test_console_and_api_share_the_service_and_its_cap():
    from jiliang.api.uncertainty import API_MAX_TRIALS
    from jiliang.budgets import service

    assert API_MAX_TRIALS == INTERACTIVE_MAX_TRIALS
    ev = service.evaluate_data(BASE | {"method": {"montecarlo": {"adaptive": {"digits": 1}}, "seed": 3}})
    assert ev.mc is not None and ev.mc.trials <= INTERACTIVE_MAX_TRIALS
    with pytest.raises(UncertaintyModelError, match="more than the limit"):
        service.run_model(
            "model: {y: x}\ninputs: {x: {dist: normal, mean: 0, sd: 1}}\n"
            f"method: {{montecarlo: {{trials: {INTERACTIVE_MAX_TRIALS + 1}}}}}\n"
        )


def test_one_reader_with_each_callers_size_limit():
    from jiliang.budgets import service

    text = "model: {y: 2 * x}\ninputs: {x: {dist: normal, mean: 1, sd: 0.1}}\n# " + "x" * 300_000
    assert load_model(text).output_names == ("y",)  # the CLI's 2 MB limit
    with pytest.raises(ModelTooLargeError) as info:
        service.parse_source(text)  # the console's 256 KiB
    assert info.value.status == 413
    with pytest.raises(UncertaintyModelError, match="not valid YAML"):
        service.parse_source("[1, 2")
    with pytest.raises(UncertaintyModelError, match="not valid YAML"):
        read_model_file("[1, 2")
    # counted in bytes, not characters
    with pytest.raises(ModelTooLargeError):
        read_model_file("计" * 100, max_bytes=299)
