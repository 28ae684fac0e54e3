"""A suspected thief's evidence on the Chinese meter pages: in words, no English, no raw codes."""

import re

from jiliang.web.meters import evidence_view
from jiliang.web.phrases import phrase_text

NIGHT = {
    "reason": "suspected theft: 10.2 % registered in 8 hours of the day (time of day)",
    "regime_test": {
        "test": "time_of_day",
        "statistic": 412.5,
        "threshold": 72.2,
        "dof": 23,
        "log10_p": -70.1,
        "registered_share_pct": {"00:00": 10.1, "12:00": 100.2},
        "hours_under_registered_utc": ["22:00", "23:00", "00:00"],
    },
}
TAMPER = {
    "reason": "suspected theft: 44.8 % registered from 2026-03-12T10:15:00Z (change of date)",
    "regime_test": {
        "test": "change_point",
        "statistic": 900.0,
        "threshold": 31.0,
        "dof": 1,
        "from": "2026-03-12T10:15:00Z",
        "kwh_per_day_before": 8.1,
        "kwh_per_day_after": 3.6,
        "area_loss_rate_pct_before": 3.1,
        "area_loss_rate_pct_after": 7.9,
    },
}
ENGLISH = re.compile(r"\b(?!UTC\b|kWh\b)[A-Za-z]{3,}\b")


def _words(view):
    return [view["main"], *[f"{k} {v}" for k, v in view["facts"]]]


def test_night_bypass_in_chinese():
    view = evidence_view(NIGHT, "zh")
    assert view["main"] == "疑似窃电：每天 8 个小时内仅计量 10.2 %（分时段）"
    assert ("窃电检验", "分时段检验") in view["facts"]
    assert not any(ENGLISH.search(w) for w in _words(view))


def test_tampering_shows_consumption_falling_and_losses_rising():
    view = evidence_view(TAMPER, "zh")
    facts = dict(view["facts"])
    assert facts["日均电量（变化前）"] == "8.1 kWh/d" and facts["日均电量（变化后）"] == "3.6 kWh/d"
    assert facts["台区线损率（变化后）"] == "7.9 %"
    assert not any(ENGLISH.search(w) for w in _words(view))


def test_worklist_action_and_load_reason_translated():
    assert (
        phrase_text("zh", "suspected theft: 50.0 % registered at high load")
        == "疑似窃电：高负荷时仅计量 50.0 %"
    )
    action = "field check: suspected theft (registered share changes with time of day, load or date)"
    assert phrase_text("zh", action).startswith("现场核查：疑似窃电")


def test_clock_offsets_in_words_and_units():
    """The clock-offset evidence (jiliang.meters.skew) on the area page: labelled, in seconds, the
    p-values written out, no English in Chinese."""
    ev = {
        "clock_offset_s": -4.317,
        "clock_offset_u_s": 0.52,
        "clock_offset_test": {"f": 3.91, "dof": [98, 2600], "log10_p": -31.42, "log10_p_common": -400.0,
                              "spread_s": 5.1},
    }  # fmt: skip
    zh = dict(evidence_view(ev, "zh")["facts"])
    assert zh["时钟偏差（相对台区总表）"] == "-4.32 s (u = 0.52 s)"
    assert zh["时钟偏差检验"] == "F = 3.91 (98, 2600), p = 3.8 × 10⁻³²"
    assert zh["偏差绝对值共同项检验"] == "p < 10⁻³⁰⁰" and zh["各表时钟偏差的离散度"] == "τ = 5.1 s"
    assert not any(ENGLISH.search(w) for w in _words(evidence_view(ev, "zh")))
    en = dict(evidence_view(ev, "en")["facts"])
    assert en["Clock offset (from the area master's clock)"] == "-4.32 s (u = 0.52 s)"
    master = dict(evidence_view({"clock_offset_s": 2.0}, "zh")["facts"])  # the master: no u of its own
    assert master["时钟偏差（相对台区总表）"] == "+2.00 s"
