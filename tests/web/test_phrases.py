"""Codes and service phrases are shown in words of the page's language."""

from __future__ import annotations

import re

from jiliang.web.i18n import catalog
from jiliang.web.meters import evidence_view
from jiliang.web.phrases import PHRASES, code_text, phrase_text

ENGLISH = re.compile(r"[a-z]{3,}")


def test_every_phrase_has_its_words_in_both_catalogs():
    for p in PHRASES:
        for lang in ("zh", "en"):
            assert f"phrase.{p.name}" in catalog(lang), (p.name, lang)


def test_codes_and_phrases_are_translated_with_their_parameters():
    assert code_text("zh", "area_status", "ok") == "正常"
    assert code_text("zh", "decision", "conditional pass") == "有条件合格"
    assert code_text("zh", "area_status", "brand_new") == "brand_new"  # seen, so it gets fixed
    assert (
        phrase_text("zh", "ratio 2.50:1 to BJ-REF-mass is below 3:1")
        == "与 BJ-REF-mass 的不确定度比 2.50:1，低于 3:1"
    )
    assert phrase_text("zh", "X1 measures mass, not pressure") == "X1 测量的是质量，不是压力"
    note = "failed_runaway: error — % ± u — %, limit ±+1.75 % — field check: metering function abnormal (runaway)"
    assert phrase_text("zh", note) == "飞走：误差 — %，u = — %，限值 ±+1.75 %；现场核查：计量功能异常（飞走）"
    assert phrase_text("en", note) == note.replace("failed_runaway", "runaway")
    assert phrase_text("zh", "something new") == "something new"


def test_meter_evidence_reads_as_words_with_units():
    evidence = {
        "collection": 0.99926,
        "energy_kwh": 69.379,
        "failure": {
            "from": "2026-10-31T06:15:00Z",
            "limit_kwh_per_day": 316.8,
            "max_daily_kwh": 283.064,
            "rule": "daily energy > Imax·Un·24 h (JJF(冀)174-2020)",
            "to": "2026-11-01T00:00:00Z",
            "type": "runaway",
        },
        "kwh_per_day": 4.9556,
        "share_pct": 1.7234,
    }
    view = evidence_view(evidence, "zh")
    assert view["main"] == "飞走：日电量超过 Imax·Un·24 h（JJF(冀)174-2020）"
    facts = dict(view["facts"])
    assert facts["发生时段"] == "2026-10-31 06:15 UTC – 2026-11-01 00:00 UTC"
    assert facts["采集成功率"] == "99.9 %" and facts["日均电量"] == "4.96 kWh/d"
    assert facts["最大日电量"] == "283.1 kWh" and facts["占台区电量"] == "1.72 %"
    words = " ".join(k + v for k, v in view["facts"])
    assert not ENGLISH.findall(words.replace("kWh", "").replace("UTC", "").replace("Imax", ""))
    decided = evidence_view({"decision": "guard band w = 2.0·u = 0.408 %", "theta": 1.0002152}, "zh")
    assert decided["main"] == "保护带 w = 2.0·u = 0.408 %" and dict(decided["facts"]) == {
        "表计系数 θ": "1.00022"
    }
