"""The shipped indicator sets against a second transcription of the plans, and bad documents.

The second transcription below was keyed separately from the plans' texts (shared seeds):
Guangzhou 专栏1 (2020 → 2025, all 预期性); Changzhou 一、总体要求 (到2025年, values "以上 / 不少于");
Jieyang (二) 发展目标 (到2017年 / 到2020年); Tianjin and Chuzhou set no quantified targets.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from jiliang.errors import InputError
from jiliang.indicators.catalog import DATA_FILE, load_plans, parse_plans
from jiliang.indicators.queries import QUERIES

SEEDS = Path("/work/shared/seeds")

# code: (baseline (year, value) or None, [(target year, value)], type)
SECOND = {
    "gz.platforms": ((2020, 7), [(2025, 12)], "预期性"),
    "gz.highest_standards": ((2020, 260), [(2025, 310)], "预期性"),
    "gz.reference_materials": ((2020, 76), [(2025, 120)], "预期性"),
    "gz.industry_centres": ((2020, 2), [(2025, 6)], "预期性"),
    "gz.integrity_units": ((2020, 2000), [(2025, 3000)], "预期性"),
    "gz.coverage": ((2020, 85), [(2025, 90)], "预期性"),
    "chz.public_standards_new": (None, [(2025, 80)], None),
    "chz.comparisons": (None, [(2025, 20)], None),
    "chz.traceability_demand": (None, [(2025, 95)], None),
    "chz.measurement_officers": (None, [(2025, 80)], None),
    "chz.reference_materials_new": (None, [(2025, 200)], None),
    "chz.coverage": (None, [(2025, 95)], None),
    "chz.integrity_units": (None, [(2025, 2000)], None),
    "jy.verification_rate": (None, [(2017, 93), (2020, 97)], None),
    "jy.net_content": (None, [(2017, 90), (2020, 92)], None),
    "jy.coverage": (None, [(2017, 90), (2020, 95)], None),
    "jy.public_standards": (None, [(2017, 75), (2020, 90)], None),
    "jy.integrity_units": (None, [(2017, 100), (2020, 200)], None),
    "jy.certified_enterprises": (None, [(2017, 100), (2020, 180)], None),
    "tj.integrity_commitments": (None, [], None),
    "tj.public_standards": (None, [], None),
    "tj.comparisons": (None, [], None),
    "cz.coverage": (None, [], None),
    "cz.integrity_commitments": (None, [], None),
    "cz.verification_rate": (None, [], None),
}


def _all():
    return {i.code: (p, i) for p in load_plans() for i in p.indicators}


def test_five_plans_and_every_indicator_cell_by_cell():
    plans = load_plans()
    assert [p.code for p in plans] == ["guangzhou", "changzhou", "jieyang", "tianjin", "chuzhou"]
    got = _all()
    assert set(got) == set(SECOND)
    for code, (base, targets, typ) in SECOND.items():
        _, ind = got[code]
        assert (None if ind.baseline is None else (ind.baseline.year, ind.baseline.value)) == base, code
        assert [(t.year, t.value) for t in ind.targets] == targets, code
        assert all(t.comparison == ">=" for t in ind.targets), code
        assert ind.type == typ, code


def test_every_indicator_names_a_query_computed_or_without_a_source_and_why():
    no_source = set()
    for code, (_, ind) in _all().items():
        assert ind.query in QUERIES, code
        q = QUERIES[ind.query]
        assert (q.fn is None) == bool(q.missing), code  # a query computes, or says why it cannot
        if q.fn is None:
            no_source.add(code)
    assert no_source == {
        "gz.platforms",
        "gz.industry_centres",
        "chz.public_standards_new",
        "chz.traceability_demand",
        "chz.measurement_officers",
        "chz.reference_materials_new",
        "jy.certified_enterprises",
    }
    q = QUERIES["net_content_pass_rate"]
    assert q.fn is not None and q.rebuildable and q.drill == "/netcontent"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the plans' texts are not on this machine")
def test_quotes_are_exact_text_at_their_offset_and_hashes_match():
    for p in load_plans():
        raw = (SEEDS / p.seed).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == p.seed_sha256
        text = raw.decode("utf-8")
        for ind in p.indicators:
            q = ind.source
            assert text[q.offset : q.offset + len(q.quote)] == q.quote, ind.code


def _doc(**change):
    doc = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    ind = doc["plans"][0]["indicators"][0]
    ind.update(change)
    return doc


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"targets": [{"value": 12}]}, "a target without a year"),
        ({"targets": [{"year": 2025}]}, "a target without a value"),
        ({"targets": [{"year": "2025", "value": 1}]}, "is not a year"),
        ({"targets": [{"year": 2025, "value": float("nan")}]}, "not a finite number"),
        ({"targets": [{"year": 2025, "value": 1}, {"year": 2025, "value": 2}]}, "same year"),
        ({"query": "drop_tables"}, "unknown query"),
        ({"type": "mandatory"}, "is not 预期性 or 约束性"),
        ({"code": "gz.highest_standards"}, "appears twice"),
        ({"code": "a b"}, "is not letters"),
    ],
)
def test_bad_documents_give_one_line_reasons(change, reason):
    with pytest.raises(InputError) as err:
        parse_plans(_doc(**change), QUERIES)
    assert reason in str(err.value) and "\n" not in str(err.value)
