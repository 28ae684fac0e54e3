"""EV-charger checks: a drifting charger is found over many seeds, honest ones are not; bad input."""

import numpy as np
import pytest

from jiliang.errors import InputError
from jiliang.meters.chargers import ChargerSettings, ChargerSite, Session, analyse_chargers
from jiliang.meters.chargersynth import ChargerSiteConfig, synth_charger_site

SETTINGS = ChargerSettings(limit_pct=1.0)


def _score(cfg_kw: dict, seeds: range) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for seed in seeds:
        site = synth_charger_site(
            ChargerSiteConfig(drift=seed % 2 == 0, **cfg_kw), np.random.default_rng(seed)
        )
        for c in analyse_chargers(site.data, site.sessions, SETTINGS):
            truth = abs(site.truth_end_pct[c.charger_id]) > SETTINGS.limit_pct
            flag = c.status == "drift"
            tp += truth and flag
            fp += flag and not truth
            fn += truth and not flag
    return tp, fp, fn


def test_drift_beyond_the_class_limit_is_found_over_many_seeds():
    tp, fp, fn = _score({"days": 28}, range(12))
    assert (tp, fp, fn) == (6, 0, 0)


def test_vehicle_side_alone_sees_the_drifting_charger():
    site = synth_charger_site(
        ChargerSiteConfig(days=28, drift=True, vehicle_share=1.0), np.random.default_rng(4)
    )
    res = {c.charger_id: c for c in analyse_chargers(site.data, site.sessions, SETTINGS)}
    drifting = res[site.drifting]
    assert drifting.vehicle_e_pct is not None and drifting.vehicle_e_pct > 1.0
    others = [c.vehicle_e_pct for cid, c in res.items() if cid != site.drifting]
    assert all(v is not None and abs(v) < 1.0 for v in others)
    assert drifting.slope_pct_per_30d is not None and drifting.slope_pct_per_30d > 2.0


def test_a_small_drift_within_the_limit_is_not_flagged():
    tp, fp, fn = _score({"days": 28, "drift_end_pct": 0.6}, range(6))
    assert tp == fp == fn == 0


def test_bad_input_is_refused():
    ts = np.array([0.0, 900.0, 1800.0])
    with pytest.raises(InputError, match="go back"):
        ChargerSite("C", ts, np.array([0.0, 2.0, 1.0]), ("P1",), np.array([[0.0, 1.0, 2.0]]))
    with pytest.raises(InputError, match="once"):
        ChargerSite("C", ts, np.array([0.0, 1.0, 2.0]), ("P1", "P1"), np.zeros((2, 3)))
    with pytest.raises(InputError, match="session energy"):
        Session("P1", 0.0, float("nan"))
    with pytest.raises(InputError, match="limit_pct"):
        ChargerSettings(limit_pct=-1.0)
