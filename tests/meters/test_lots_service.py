"""Meter lots, service: form → draw → results (with replacements and field-check orders) →
decide → publish → public lookup; access rules; bad input stores nothing; audit entries."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.meters import lotservice as svc
from jiliang.meters.lotmodels import MeterLot, MeterLotMember, MeterLotResult
from jiliang.platform.auth import Principal
from jiliang.platform.models import AuditEntry, Organization, Role

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture()
def env(db):
    with db.session(actor="test") as s:
        power = Organization(name="供电局", kind="utility")
        other = Organization(name="某工厂", kind="factory")
        s.add_all([power, other])
        s.flush()
        ids = (power.id, other.id)
    reg = Principal(user_id=1, username="reg", role=Role.REGULATOR, org_id=None)
    pw = Principal(user_id=2, username="power", role=Role.ENTERPRISE, org_id=ids[0])
    ot = Principal(user_id=3, username="other", role=Role.ENTERPRISE, org_id=ids[1])
    return db, reg, pw, ot, ids


def _rows(n, maker="华立", year=2018, prefix="E"):
    return [
        {"meter_no": f"{prefix}{i:06}", "kind": "electricity", "maker": maker, "model": "DDZY71", "batch": "2018-03",
         "install_year": year}
        for i in range(n)
    ]  # fmt: skip


def _count(s, model):
    return s.scalar(select(func.count()).select_from(model))


def test_whole_workflow(env):
    db, reg, pw, _ot, _ids = env
    with db.session(actor="power") as s:
        lots = svc.form(s, pw, rule_key="hu57-2018", rows=_rows(600) + _rows(700, maker="林洋", prefix="F"))
        assert sorted(lot.size for lot in lots) == [600, 700]
        lot_id = lots[0].id
    with db.session(actor="reg") as s:
        lot = svc.draw(s, reg, lot_id, seed=20260114)
        sample = list(lot.sample)
        assert len(sample) == 45 and lot.seed == "20260114"
    with db.session(actor="reg") as s:  # the draw replays from the recorded seed
        members = sorted(s.scalars(select(MeterLotMember.meter_no).where(MeterLotMember.lot_id == lot_id)))
        from jiliang.meters import lots as core

        plan = core.SamplingPlan(len(members), 45, 0, 1, 5.0, "", "false")
        assert list(core.draw_sample(members, plan, 20260114).sample) == sample
    with db.session(actor="power") as s:
        lot = svc.record_results(s, pw, lot_id, [svc.ResultEntry(sample[0], "inaccessible")])
        assert sample[0] not in lot.sample and len(lot.sample) == 45
        assert lot.replacements[0]["out"] == sample[0]
        new = lot.replacements[0]["in"]
        entries = [svc.ResultEntry(m, "conforming", 0.1) for m in lot.sample]
        svc.record_results(s, pw, lot_id, entries)
    with pytest.raises(PermissionDeniedError), db.session(actor="power") as s:
        svc.decide(s, pw, lot_id, NOW)
    with db.session(actor="reg") as s:
        lot = svc.decide(s, reg, lot_id, NOW)
        assert (lot.decision, lot.extend_years, lot.nonconforming) == ("extend", 4, 0)
    assert svc_lookup(db, new) == []  # decided, not published: not public yet
    with db.session(actor="reg") as s:
        svc.publish(s, reg, lot_id, NOW)
    found = svc_lookup(db, new)
    assert found and found[0]["decision"] == "extend" and found[0]["extend_years"] == 4
    with db.session(actor="t") as s:
        entities = {e for (e,) in s.execute(select(AuditEntry.entity))}
        assert {"meter_lot", "meter_lot_member", "meter_lot_result"} <= entities


def svc_lookup(db, meter_no):
    with db.session(actor="public") as s:
        return svc.lookup_meter(s, meter_no)


def test_rejected_lot_and_early_rejection(env):
    db, reg, pw, _, _ = env
    with db.session(actor="power") as s:
        lot_id = svc.form(s, pw, rule_key="hu57-2018", rows=_rows(800))[0].id
    with db.session(actor="reg") as s:
        sample = list(svc.draw(s, reg, lot_id, seed=5).sample)
    with db.session(actor="power") as s:
        svc.record_results(s, pw, lot_id, [svc.ResultEntry(sample[0], "nonconforming", 2.9)])
    with db.session(actor="reg") as s:
        lot = svc.decide(s, reg, lot_id, NOW)
        assert lot.decision == "replace" and lot.extend_years is None


def test_access(env):
    db, _reg, pw, ot, ids = env
    with db.session(actor="power") as s:
        lot_id = svc.form(s, pw, rule_key="hu57-2018", rows=_rows(600))[0].id
    with pytest.raises(NotFoundError), db.session(actor="other") as s:
        svc.lot_view(s, ot, lot_id)
    with pytest.raises(PermissionDeniedError), db.session(actor="other") as s:
        svc.form(s, ot, rule_key="hu57-2018", rows=_rows(600), org_id=ids[0])
    with pytest.raises(PermissionDeniedError), db.session(actor="power") as s:
        svc.draw(s, pw, lot_id)
    with db.session(actor="other") as s:
        assert svc.list_lots(s, ot) == []


def test_only_a_utility_forms_lots(env):
    """A factory (or a fuel station) has no meter lots: it is not offered the form, its own list is
    refused, and the regulator cannot form lots in its name either."""
    db, reg, pw, ot, ids = env
    with db.session(actor="t") as s:
        assert svc.may_form_lots(s, reg) and svc.may_form_lots(s, pw) and not svc.may_form_lots(s, ot)
    with pytest.raises(PermissionDeniedError, match="not a utility"), db.session(actor="other") as s:
        svc.form(s, ot, rule_key="hu57-2018", rows=_rows(600))
    with pytest.raises(PermissionDeniedError, match="not a utility"), db.session(actor="reg") as s:
        svc.form(s, reg, rule_key="hu57-2018", rows=_rows(600), org_id=ids[1])
    with pytest.raises(NotFoundError), db.session(actor="reg") as s:
        svc.form(s, reg, rule_key="hu57-2018", rows=_rows(600), org_id=999_999)
    with db.session(actor="t") as s:
        assert _count(s, MeterLot) == 0


@pytest.mark.parametrize(
    "rows, rule, match",
    [
        (_rows(100), "hu57-2018", "minimum lot size"),
        (_rows(600), "jjf-zz", "unknown lot rule"),
        ([{**r, "kind": "water"} for r in _rows(600)], "hu57-2018", "covers electricity"),
        (_rows(600) + _rows(1), "hu57-2018", "more than once"),
    ],
)
def test_bad_forming_stores_nothing(env, rows, rule, match):
    db, _, pw, _, _ = env
    with pytest.raises(InputError, match=match), db.session(actor="power") as s:
        svc.form(s, pw, rule_key=rule, rows=rows)
    with db.session(actor="t") as s:
        assert _count(s, MeterLot) == 0 and _count(s, MeterLotMember) == 0


@pytest.mark.parametrize(
    "text, match",
    [
        ("meter_no,kind\nA,electricity\n", "missing columns"),
        ("meter_no,kind,maker,model,batch,install_year\nA,electricity,m,x,b,20x8\n", "install_year"),
        ("meter_no,kind,maker,model,batch,install_year\n<script>,electricity,m,x,b,2018\n", "meter_no"),
        ("meter_no,kind,maker,model,batch,install_year\nA,electricity,m\x00,x,b,2018\n", "maker"),
        ("meter_no,kind,maker,model,batch,install_year\nA,electricity,m,x,b,2018,extra\n", "more cells"),
        (
            "meter_no,kind,maker,model,batch,install_year\n" + "A" * 70 + ",electricity,m,x,b,2018\n",
            "meter_no",
        ),
        ("meter_no,kind,maker,model,batch,install_year\n", "no meters"),
    ],
)
def test_malformed_csv(text, match):
    with pytest.raises(InputError, match=match):
        svc.parse_meter_csv(text)


def test_bad_results_store_nothing(env):
    db, reg, pw, _, _ = env
    with db.session(actor="power") as s:
        lot_id = svc.form(s, pw, rule_key="hu57-2018", rows=_rows(600))[0].id
    with pytest.raises(ConflictError), db.session(actor="power") as s:  # not drawn yet
        svc.record_results(s, pw, lot_id, [svc.ResultEntry("E000001", "conforming")])
    with db.session(actor="reg") as s:
        sample = list(svc.draw(s, reg, lot_id, seed=1).sample)
    outside = next(m for m in (r["meter_no"] for r in _rows(600)) if m not in sample)
    bad = [
        [svc.ResultEntry(sample[0], "conforming"), svc.ResultEntry(outside, "conforming")],
        [svc.ResultEntry(sample[0], "conforming"), svc.ResultEntry(sample[0], "conforming")],
    ]
    for entries in bad:
        with pytest.raises(InputError), db.session(actor="power") as s:
            svc.record_results(s, pw, lot_id, entries)
    with pytest.raises(InputError):
        svc.ResultEntry(sample[0], "ok")
    with pytest.raises(InputError):
        svc.ResultEntry(sample[0], "conforming", float("nan"))
    with pytest.raises(InputError, match="incomplete"), db.session(actor="reg") as s:
        svc.decide(s, reg, lot_id, NOW)
    with db.session(actor="t") as s:
        assert _count(s, MeterLotResult) == 0
        assert s.get(MeterLot, lot_id).status == "sampled"


def test_canadian_rule_refuses_replacement(env):
    db, reg, pw, _, _ = env
    with db.session(actor="power") as s:
        lot_id = svc.form(s, pw, rule_key="mc-s-s-06", rows=_rows(300))[0].id
    with db.session(actor="reg") as s:
        sample = list(svc.draw(s, reg, lot_id, seed=3).sample)
    with pytest.raises(InputError, match="no replacement"), db.session(actor="power") as s:
        svc.record_results(s, pw, lot_id, [svc.ResultEntry(sample[0], "inaccessible")])
    with db.session(actor="t") as s:
        assert _count(s, MeterLotResult) == 0


def test_forming_twice_conflicts(env):
    db, _, pw, _, _ = env
    with db.session(actor="power") as s:
        svc.form(s, pw, rule_key="hu57-2018", rows=_rows(600))
    with pytest.raises(ConflictError, match="formed already"), db.session(actor="power") as s:
        svc.form(s, pw, rule_key="hu57-2018", rows=_rows(600))


def test_hostile_lookup(env):
    db = env[0]
    with db.session(actor="public") as s:
        assert svc.lookup_meter(s, "E000001' OR 1=1 --x".replace("'", "")) == []
        with pytest.raises(InputError):
            svc.lookup_meter(s, "<img src=x>")


def test_estimates_and_field_check_orders(env):
    """The lot's pre-sampling estimate comes from the utility's latest estimation run; sampled
    meters in the registry get a field-check order, closed when their result is recorded."""
    from jiliang.meters.engine import RunResult
    from jiliang.meters.service import store_run
    from jiliang.registry.models import Instrument, WorkOrder

    db, reg, pw, _, ids = env
    rows = _rows(600)
    with db.session(actor="power") as s:
        result = RunResult()
        for i, r in enumerate(rows[:300]):
            bad = i % 30 == 0
            result.meters.append(
                {"meter_id": r["meter_no"], "area_id": "A1", "error_pct": 3.0 if bad else 0.1, "u_error_pct": 0.3,
                 "status": "out_of_limit" if bad else "ok", "limit_pct": 1.75, "evidence": "{}"}
            )  # fmt: skip
        store_run(s, ids[0], "t", result, "power")
        from jiliang.registry.catalogue import sync

        type_id = sync(s, NOW.date())["electricity-meter"]
        s.add_all(
            Instrument(type_id=type_id, owner_id=ids[0], serial=r["meter_no"], use="trade_settlement")
            for r in rows
        )
    with db.session(actor="power") as s:
        lot = svc.form(s, pw, rule_key="hu57-2018", rows=rows)[0]
        assert lot.m_est == 300 and lot.p_est == pytest.approx(10 / 300, abs=0.002)
        assert 0 < lot.pass_prob < 0.5  # about 3 % nonconforming against Ac = 0 of n = 45
        lot_id = lot.id
    with db.session(actor="reg") as s:
        sample = list(svc.draw(s, reg, lot_id, seed=8).sample)
        assert s.scalar(select(func.count()).where(WorkOrder.source.like("meter lot%"))) == 45
    with db.session(actor="power") as s:
        svc.record_results(s, pw, lot_id, [svc.ResultEntry(sample[0], "conforming", 0.2)])
    with db.session(actor="t") as s:
        res = s.scalar(select(MeterLotResult).where(MeterLotResult.meter_no == sample[0]))
        assert res.source.startswith("work order ")
        wo = s.get(WorkOrder, int(res.source.split()[-1]))
        assert wo.status == "done" and "result: conforming" in wo.note


@pytest.mark.parametrize(
    "text, match",
    [
        ("meter_no\nA\n", "missing columns"),
        ("meter_no,outcome,error_pct\nA,conforming,abc\n", "not a number"),
        ("meter_no,outcome,error_pct\nA,fine,\n", "outcome"),
        ("meter_no,outcome,error_pct\n<A>,conforming,\n", "not a meter number"),
        ("meter_no,outcome,error_pct\nA,conforming,1,2\n", "more cells"),
        ("meter_no,outcome\n", "no rows"),
    ],
)
def test_malformed_results_csv(text, match):
    with pytest.raises(InputError, match=match):
        svc.parse_results_csv(text)


def test_results_csv():
    rows = svc.parse_results_csv("meter_no,outcome,error_pct\nA1,conforming,0.5\nA2,inaccessible,\n")
    assert rows == [svc.ResultEntry("A1", "conforming", 0.5), svc.ResultEntry("A2", "inaccessible", None)]


def test_lots_from_the_registry(env):
    """Lots formed from the utility's registry meters: verification month as batch, its year as
    the year of installation."""
    from datetime import date

    from jiliang.registry.catalogue import sync
    from jiliang.registry.models import Instrument

    db, _reg, pw, _, ids = env
    with db.session(actor="power") as s:
        type_id = sync(s, NOW.date())["electricity-meter"]
        s.add_all(
            Instrument(type_id=type_id, owner_id=ids[0], serial=f"R{i:05}", use="trade_settlement", manufacturer="华立",
                       model="DDZY71", last_verified_on=date(2018, 3 + i % 2, 5))
            for i in range(1200)
        )  # fmt: skip
    with db.session(actor="power") as s:
        rows = svc.registry_rows(s, pw, kind="electricity")
        lots = svc.form(s, pw, rule_key="hu57-2018", rows=rows)
        assert sorted((lot.batch, lot.size, lot.install_year) for lot in lots) == [
            ("2018-03", 600, 2018),
            ("2018-04", 600, 2018),
        ]
    with pytest.raises(InputError, match="no in-use water"), db.session(actor="power") as s:
        svc.registry_rows(s, pw, kind="water")
