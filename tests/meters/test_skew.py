"""Clock offsets: a known skew is recovered, and an area without skew is estimated as before."""

import numpy as np

from jiliang.meters.core import AreaReadings, estimate_area
from jiliang.meters.evaluate import evaluate
from jiliang.meters.skew import clocks, offset_columns, offset_test, point_rates
from jiliang.meters.synth import SynthConfig, synth_areas
from jiliang.meters.types import EstimationSettings

INTERVAL_S = 900


def _skewed_registers(x: np.ndarray, skew: np.ndarray, res: float) -> np.ndarray:
    """Registers at the grid points of clocks ``skew`` intervals off (the reads fall in the next
    interval when ahead, the previous one when behind), floored to the resolution."""
    n, n_int = x.shape
    cum = np.zeros((n, n_int + 1))
    cum[:, 1:] = np.cumsum(x, axis=1)
    nxt = np.zeros_like(cum)
    nxt[:, :-1] = x
    prv = np.zeros_like(cum)
    prv[:, 1:] = x
    regs = 100.0 + cum + np.where(skew[:, None] >= 0, skew[:, None] * nxt, skew[:, None] * prv)
    return np.floor(regs / res + 1e-9) * res


def test_known_offsets_are_recovered():
    rng = np.random.default_rng(3)
    n, n_int = 20, 2880  # 30 days of 15-minute intervals
    hour = (np.arange(n_int) * INTERVAL_S // 3600) % 24
    profile = (
        0.6 + 0.8 * np.exp(-0.5 * ((hour - 19) / 2.5) ** 2) + 0.4 * np.exp(-0.5 * ((hour - 8) / 1.5) ** 2)
    )
    x = rng.gamma(2.0, 0.1, size=(n, n_int)) * profile
    theta = 1.0 + 0.01 * rng.normal(size=n)
    master = theta @ x + 0.002  # a fixed loss per interval
    users_s = rng.normal(0.0, 10.0, size=n)
    users_s -= users_s.mean()  # the users' clocks right on average, as the estimate assumes
    true_s = np.concatenate(([12.0], users_s))  # master first
    R = _skewed_registers(np.vstack([master, x]), true_s / INTERVAL_S, 0.001)
    present = np.ones_like(R, dtype=bool)
    y = np.diff(R, axis=1)
    p_start, p_end = np.arange(n_int), np.arange(1, n_int + 1)
    after, before = point_rates(R[1:], present[1:])
    X = np.column_stack([y[1:].T, np.ones(n_int)])
    test = offset_test(
        X,
        y[0] - y[1:].sum(axis=0),
        np.ones(n_int),
        offset_columns(after, p_start, p_end).T,
        offset_columns(before, p_start, p_end).T,
        np.concatenate(([False], np.ones(n_int - 1, dtype=bool))),
        outlier_z=5.0,
    )
    assert test is not None
    assert test.log10_p_offsets < -6 and test.log10_p_kappa < -6
    relative = (true_s[1:] - true_s[0]) / INTERVAL_S
    est_s, u_s = test.offsets * INTERVAL_S, test.u_offsets * INTERVAL_S
    assert np.all(u_s < 1.0)
    assert np.all(np.abs(est_s - relative * INTERVAL_S) < 1.5)  # seconds, ≈ 4 u
    cl = clocks(test.offsets, test.u_offsets, test.kappa)
    assert abs(cl.master * INTERVAL_S - true_s[0]) < 1.0
    assert abs(cl.tau * INTERVAL_S / users_s.std() - 1.0) < 0.3


def _config(skew_s: float) -> SynthConfig:
    return SynthConfig(
        areas=1,
        meters_per_area=100,
        days=30,
        skew_sd_s=skew_s,
        runaway_fraction=0.002,
        backwards_fraction=0.002,
        stopped_fraction=0.002,
    )


def _estimate(a, settings):
    return estimate_area(
        AreaReadings(a.area_id, a.meters, a.meter_index, a.ts, a.register_kwh, a.current_a), settings
    )


def test_area_without_skew_is_estimated_as_before():
    a = next(synth_areas(_config(0.0), np.random.default_rng(2026)))
    on = _estimate(a, EstimationSettings())
    off = _estimate(a, EstimationSettings(clock_offsets=False))
    assert [m.error_pct for m in on.meters] == [m.error_pct for m in off.meters]
    assert [m.status for m in on.meters] == [m.status for m in off.meters]
    assert not any("clock_offset_s" in m.evidence for m in on.meters)


def test_skewed_area_is_corrected():
    a = next(synth_areas(_config(10.0), np.random.default_rng(100)))
    on = _estimate(a, EstimationSettings())
    off = _estimate(a, EstimationSettings(clock_offsets=False))
    assert sum("clock_offset_s" in m.evidence for m in on.meters) > 50

    def rmse(est) -> float:
        rows = [
            {"meter_id": m.meter_id, "error_pct": m.error_pct, "status": m.status.value} for m in est.meters
        ]
        return float(evaluate(rows, a.truth).rmse_pp)

    assert rmse(on) < 0.7 * rmse(off)
