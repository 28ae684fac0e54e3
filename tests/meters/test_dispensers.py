"""Fuel-dispenser checks: accuracy over many synthetic stations, the event rules, bad input."""

import numpy as np
import pytest

from jiliang.errors import InputError
from jiliang.meters.dispensers import (
    DispenserEvent,
    NozzleSeries,
    ReconciliationSettings,
    StationData,
    TankSeries,
    analyse_station,
    check_events,
)
from jiliang.meters.dispensersynth import SynthStationConfig, synth_station

SETTINGS = ReconciliationSettings(mpe_pct=0.30)
SEEDS = range(16)  # half of them with a cheating dispenser


def _score(cfg_kw: dict, seeds=SEEDS, settings=SETTINGS):
    tp = fp = fn = 0
    for seed in seeds:
        st = synth_station(SynthStationConfig(cheat=seed % 2 == 0, **cfg_kw), np.random.default_rng(seed))
        res = analyse_station(st.data, st.events, settings)
        for n in res.nozzles:
            truth = st.truth_pct[n.nozzle_id] < -settings.mpe_pct
            flag = n.status == "suspected_cheat"
            tp += truth and flag
            fp += flag and not truth
            fn += truth and not flag
    return tp, fp, fn


def test_hourly_gauge_30_days_finds_pulse_equivalent_cheats():
    tp, fp, fn = _score({"days": 30})
    assert tp + fn == 8 * 3  # 8 cheating stations × 3 nozzles on the cheating dispenser
    assert fp == 0
    # misses are cheats just beyond the MPE (−0.5 % … −0.8 %), inside MPE + k·u (see docs/cheating.md)
    assert tp / (tp + fn) >= 0.8


def test_a_noisy_gauge_read_once_a_day_cannot_see_them():
    # the documented failure: daily gauge readings with 50 L noise over 7 days
    tp, fp, fn = _score({"days": 7, "interval_h": 24.0, "gauge_sd_l": 50.0}, seeds=range(8))
    assert fp == 0  # it says insufficient_data rather than accusing
    assert tp / (tp + fn) < 0.5


def test_uncertainty_covers_the_truth():
    z = []
    for seed in range(6):
        st = synth_station(SynthStationConfig(days=20, cheat=True), np.random.default_rng(100 + seed))
        for n in analyse_station(st.data, st.events, SETTINGS).nozzles:
            z.append((n.delta_pct - st.truth_pct[n.nozzle_id]) / n.u_pct)
    z_arr = np.abs(np.asarray(z))
    assert np.mean(z_arr < 2.0) >= 0.85  # k = 2 coverage, allowing for the prior's approximations


def test_delivery_variance_is_small_for_honest_receipts():
    st = synth_station(SynthStationConfig(days=30), np.random.default_rng(5))
    res = analyse_station(st.data, st.events, SETTINGS)
    variances = [v for t in res.tanks for v in t.delivery_variance_l]
    assert variances and max(abs(v) for v in variances) < 80.0  # 0.1 % receipt noise on 15–20 m³


def test_event_rules():
    day = 86400.0
    evs = [
        DispenserEvent("D1", 0.0, "lock"),
        DispenserEvent("D1", 600.0, "reinit"),  # after a lock, no record
        DispenserEvent("D2", 0.0, "board_replaced", "MB-2"),
        DispenserEvent("D2", 2 * day, "repair", "R-1"),  # explained within 3 days
        DispenserEvent("D3", 0.0, "seal_changed", "QF-88"),
        DispenserEvent("D3", 5 * day, "verification", "V-9"),  # too late: unexplained
        DispenserEvent("D4", 0.0, "software_id", "V9.9-evil"),
        *[DispenserEvent("D5", i * day, "lock") for i in range(3)],
    ]
    flags = {(f.dispenser_id, f.kind) for f in check_events(evs, approved_software=frozenset({"V1.2"}))}
    assert flags == {
        ("D1", "lock_then_change"),
        ("D3", "unexplained_change"),
        ("D4", "unapproved_software"),
        ("D5", "frequent_locks"),
    }


def test_a_totaliser_going_back_is_an_unexplained_reinitialisation():
    st = synth_station(SynthStationConfig(days=3, tanks=1, dispensers=2), np.random.default_rng(1))
    nz = st.data.nozzles[0]
    tot = nz.totaliser_l.copy()
    tot[30:] -= tot[30] - 5.0  # reset to 5 L
    data = StationData(
        "S1",
        st.data.tanks,
        (NozzleSeries(nz.nozzle_id, nz.dispenser_id, nz.tank_id, tot), *st.data.nozzles[1:]),
    )
    res = analyse_station(data, [], SETTINGS)
    assert [(f.dispenser_id, f.kind) for f in res.flags] == [(nz.dispenser_id, "unexplained_change")]
    assert res.tanks[0].segments >= 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mpe_pct": 0.0},
        {"mpe_pct": float("nan")},
        {"mpe_pct": 0.3, "gauge_sd_l": -1.0},
        {"mpe_pct": 0.3, "k": float("inf")},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(InputError):
        ReconciliationSettings(**kwargs)


def test_bad_series_are_refused():
    ts = np.array([0.0, 3600.0, 7200.0])
    ok = np.array([100.0, 90.0, 80.0])
    with pytest.raises(InputError, match="increase"):
        TankSeries("T", ts[::-1].copy(), ok, ok, np.zeros(3))
    with pytest.raises(InputError, match="temperatures"):
        TankSeries("T", ts, ok, np.array([20.0, 500.0, 20.0]), np.zeros(3))
    tank = TankSeries("T", ts, ok, np.full(3, 20.0), np.zeros(3))
    with pytest.raises(InputError, match="unknown tank"):
        StationData("S", (tank,), (NozzleSeries("N", "D", "X", ok),))
    with pytest.raises(InputError, match="readings"):
        StationData("S", (tank,), (NozzleSeries("N", "D", "T", ok[:2]),))
    with pytest.raises(InputError, match="event kind"):
        DispenserEvent("D", 0.0, "rm -rf")
