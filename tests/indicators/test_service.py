"""Indicators as services, on SQLite and on PostgreSQL: live values, snapshots refused on a failing
query, history rebuilt from dated records, manual values with evidence, report workflow, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.indicators import service
from jiliang.indicators.models import IndicatorReport, IndicatorValue
from jiliang.indicators.queries import QUERIES, Query
from jiliang.platform.auth import Principal, create_user
from jiliang.platform.models import AuditEntry, Organization, Role
from jiliang.supervision.models import IntegrityCommitment

ON = date(2024, 6, 15)
NOW = datetime(2024, 6, 15, 9, tzinfo=UTC)


@pytest.fixture
def reg(db):
    with db.session(actor="setup") as s:
        orgs = [Organization(name=f"市场{i}", kind="market") for i in range(5)]
        s.add_all(orgs)
        s.flush()
        u = create_user(s, "ind-reg", "password-123456", Role.REGULATOR, display_name="处长")
        e = create_user(
            s, "ind-ent", "password-123456", Role.ENTERPRISE, display_name="企业", org_id=orgs[0].id
        )
        for i, o in enumerate(orgs):  # published in Jan…May 2024, one per month
            s.add(
                IntegrityCommitment(
                    org_id=o.id,
                    year=2024,
                    sector="market",
                    text="承诺",
                    status="published",
                    published_on=date(2024, i + 1, 10),
                )
            )
        ids = (u.id, e.id, orgs[0].id)
    return (
        db,
        Principal(user_id=ids[0], username="ind-reg", role=Role.REGULATOR, org_id=None),
        Principal(user_id=ids[1], username="ind-ent", role=Role.ENTERPRISE, org_id=ids[2]),
    )


def _count(s, model=IndicatorValue):
    return s.scalar(select(func.count()).select_from(model))


def test_live_values_say_no_data_source_or_no_records(reg):
    db, _, _ = reg
    with db.session() as s:
        got = {c.indicator.code: c for c in service.compute_all(s, ON)}
    assert got["tj.integrity_commitments"].value == 5  # published by ON
    assert got["jy.net_content"].value is None and "no records" in got["jy.net_content"].missing
    assert got["jy.net_content"].source == "query" and got["jy.net_content"].drill == "/netcontent"
    assert got["jy.verification_rate"].value is None and "no records" in got["jy.verification_rate"].missing
    assert got["gz.platforms"].value is None and got["gz.platforms"].source == "none"
    assert "innovation platforms" in got["gz.platforms"].missing
    with db.session() as s:
        why = {t.current.indicator.code: t.assessment for t in service.dashboard(s, "jieyang", ON)}
    assert (why["jy.net_content"].status, why["jy.net_content"].reason) == ("no_data", "no_records")
    assert why["jy.certified_enterprises"].reason == "no_value"


def test_snapshot_and_rebuilt_history(reg):
    db, who, _ = reg
    with db.session(actor="ind-reg") as s:
        assert service.take_snapshot(s, who, ON) > 0
        assert service.rebuild_history(s, who, date(2024, 1, 1), ON) > 0
    with db.session() as s:
        tr = service.track(s, "tj.integrity_commitments", ON)
    by = {r.period: (r.value, r.origin) for r in tr.points}
    assert by["2024-01"] == (1, "rebuilt") and by["2024-04"] == (4, "rebuilt")
    assert by["2024-06"] == (5, "computed") and "2024-06" in by
    with db.session() as s:
        chz = service.track(s, "chz.integrity_units", ON)  # ≥ 2000 by 2025: 5 now, one a month
    assert chz.projection is not None and chz.projection.n == 6
    assert chz.projection.low < chz.projection.y < chz.projection.high < 2000
    assert (chz.assessment.status, chz.assessment.reason) == ("off_track", "interval_below")
    with db.session(actor="ind-reg") as s:  # a second snapshot of the month replaces the first
        n = _count(s)
        service.take_snapshot(s, who, ON)
        assert _count(s) == n


def test_a_failing_query_refuses_the_snapshot_and_stores_nothing(reg, monkeypatch):
    db, who, _ = reg

    def boom(session, on, since):
        raise RuntimeError("relation does not exist\nsecond line")

    monkeypatch.setitem(QUERIES, "comparisons_count", Query("comparisons_count", boom, "/comparisons"))
    with db.session() as s:
        got = {c.indicator.code: c for c in service.compute_all(s, ON)}
    assert got["chz.comparisons"].value is None and "comparisons_count failed" in got["chz.comparisons"].error
    with db.session() as s:
        assert service.track(s, "chz.comparisons", ON).assessment.reason == "query_failed"
    with pytest.raises(ConflictError) as err, db.session(actor="ind-reg") as s:
        service.take_snapshot(s, who, ON)
    assert "snapshot refused" in str(err.value) and "\n" not in err.value.message
    with db.session() as s:
        assert _count(s) == 0


def test_manual_value_with_evidence_audited(reg):
    db, who, _ent = reg
    with db.session(actor="ind-reg") as s:
        service.enter_manual(s, who, "gz.platforms", "2024-05", 9, "市计量院2024年报第3页", ON)
    with db.session() as s:
        c = service.track(s, "gz.platforms", ON).current
        assert (c.value, c.source, c.evidence, c.entered_by) == (
            9,
            "manual",
            "市计量院2024年报第3页",
            who.user_id,
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.entity == "ind_value", AuditEntry.actor == "ind-reg")
            )
            == 1
        )


@pytest.mark.parametrize(
    ("code", "period", "value", "evidence", "error", "reason"),
    [
        (
            "gz.highest_standards",
            "2024-05",
            1,
            "doc 1",
            ConflictError,
            "computed from the platform's records",
        ),
        ("gz.platforms", "2024-13", 1, "doc 1", InputError, "not a month"),
        ("gz.platforms", "2099-01", 1, "doc 1", InputError, "in the future"),
        ("gz.platforms", "2024-05", float("nan"), "doc 1", InputError, "not a finite number"),
        ("gz.platforms", "2024-05", 1, "  ", InputError, "evidence"),
        ("chz.traceability_demand", "2024-05", 101, "doc 1", InputError, "out of range"),
        ("nope", "2024-05", 1, "doc 1", NotFoundError, "no indicator"),
    ],
)
def test_bad_manual_values_store_nothing(reg, code, period, value, evidence, error, reason):
    db, who, _ = reg
    with pytest.raises(error) as err, db.session(actor="ind-reg") as s:
        service.enter_manual(s, who, code, period, value, evidence, ON)
    assert reason in str(err.value) and "\n" not in str(err.value)
    with db.session() as s:
        assert _count(s) == 0


def test_duplicate_manual_value_and_non_regulator(reg):
    db, who, ent = reg
    with db.session(actor="ind-reg") as s:
        service.enter_manual(s, who, "gz.platforms", "2024-05", 9, "doc 1", ON)
    with pytest.raises(ConflictError, match="already has a manual value"), db.session(actor="ind-reg") as s:
        service.enter_manual(s, who, "gz.platforms", "2024-05", 10, "doc 2", ON)
    with pytest.raises(PermissionDeniedError), db.session(actor="ind-ent") as s:
        service.enter_manual(s, ent, "gz.platforms", "2024-04", 9, "doc 1", ON)
    with db.session() as s:
        assert _count(s) == 1


def test_report_draft_edit_publish(reg):
    db, who, ent = reg
    anon = Principal(None, "", Role.PUBLIC, None)
    with db.session(actor="ind-reg") as s:
        rep = service.draft_report(s, who, "tianjin", "midterm", ON)
        rid = rep.id
        assert rep.status == "draft" and "中期评估报告" in rep.narrative_zh and "Mid-term" in rep.narrative_en
        assert len(rep.body["rows"]) == 3
    with pytest.raises(NotFoundError), db.session() as s:
        service.get_report(s, anon, rid)  # a draft is not public
    with db.session(actor="ind-reg") as s:
        service.edit_report(s, who, rid, "修改后的评估意见", "Edited assessment")
        service.publish_report(s, who, rid, NOW)
    with db.session() as s:
        rep = service.get_report(s, anon, rid)
        assert (rep.status, rep.narrative_zh, rep.published_by) == (
            "published",
            "修改后的评估意见",
            who.user_id,
        )
        assert (
            s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "ind_report"))
            == 3
        )
    for call, error in (
        (lambda s: service.edit_report(s, who, rid, "x", "y"), ConflictError),
        (lambda s: service.publish_report(s, who, rid, NOW), ConflictError),
        (lambda s: service.draft_report(s, ent, "tianjin", "midterm", ON), PermissionDeniedError),
        (lambda s: service.draft_report(s, who, "tianjin", "annual", ON), InputError),
        (lambda s: service.draft_report(s, who, "atlantis", "final", ON), NotFoundError),
    ):
        with pytest.raises(error), db.session(actor="ind-reg") as s:
            call(s)
    with db.session() as s:
        assert _count(s, IndicatorReport) == 1


def test_counts_match_the_definitions_row_by_row(reg):
    """The aggregate queries (受检率 as all − not on time, rounds and committed organisations as
    counts) give what the registry's grouped figure and the rows themselves give."""
    from datetime import timedelta

    from jiliang.comparisons.models import ComparisonRound
    from jiliang.indicators.queries import QUERIES
    from jiliang.registry import metrics
    from jiliang.registry.models import Instrument, InstrumentType

    db, _, _ = reg
    states = [  # (last result, due, status, compulsory): on time only when pass, due ≥ ON, counted
        ("pass", ON, "in_use", True),
        ("pass", ON + timedelta(days=300), "blocked", True),
        ("pass", ON - timedelta(days=1), "in_use", True),
        ("pass", None, "in_use", True),
        ("fail", ON + timedelta(days=30), "in_use", True),
        (None, None, "in_use", True),
        ("pass", ON + timedelta(days=30), "retired", True),
        ("fail", ON - timedelta(days=30), "in_use", False),
    ]
    with db.session(actor="setup") as s:
        org = s.scalar(select(Organization.id).limit(1))
        t = InstrumentType(code="T-IND", name="秤", name_en="Scale", category="质量", uses=["trade"],
                           period_months=12, quantity="mass", aliases=[], edition="city",
                           effective_from=date(2020, 1, 1))  # fmt: skip
        s.add(t)
        s.flush()
        for k, (result, due, status, compulsory) in enumerate(states * 3):
            s.add(Instrument(type_id=t.id, owner_id=org, serial=f"S{k}", use="trade", status=status,
                             compulsory=compulsory, last_result=result, next_due_on=due))  # fmt: skip
        for k, day in enumerate((date(2020, 12, 31), date(2021, 1, 1), ON, ON + timedelta(days=1))):
            s.add(ComparisonRound(code=f"R{k}", measurand="质量", unit="kg", pilot_org_id=org,
                                  created_at=datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC)))  # fmt: skip
    with db.session() as s:
        got = QUERIES["verification_rate"].fn(s, ON, date(2021, 1, 1))  # type: ignore[misc]
        row = metrics.overall_rate(s, ON)
        assert (got.numerator, got.denominator) == (row.on_time, row.total) == (6, 18)
        rounds = QUERIES["comparisons_count"].fn(s, ON, date(2021, 1, 1))  # type: ignore[misc]
        assert rounds.value == 2  # the first day and the last day count, the days outside do not
        orgs = QUERIES["integrity_units_count"].fn(s, date(2024, 3, 10), date(2021, 1, 1))  # type: ignore[misc]
        assert orgs.value == 3  # published on 10 January, February and March


def _lot(s, reg, org, day, passes, kind="inspection"):
    """A judged net-content lot measured on ``day``: every item at nominal (pass) or 3 T short (fail)."""
    from jiliang.supervision import netcontent as nc

    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    row = nc.create(
        s, reg, kind=kind, org_id=org, product="大米", nominal="5", unit="kg", lot_size=100, now=at
    )
    nc.draw(s, reg, row.id, at, seed="ab" * 16)
    t = float(nc.verdict_tolerance(row))
    nc.record(s, reg, row.id, [5.0 if passes else 5.0 - 3 * t] * row.sample_size, day)
    assert row.decision == ("pass" if passes else "fail")
    return row


def test_net_content_pass_rate_from_the_verdicts(reg):
    """净含量抽检合格率 from the regulator's judged lots of the twelve months to the day: lots drawn
    but not measured, a packer's self-check and lots outside the twelve months do not count."""
    from jiliang.supervision import netcontent as nc

    db, who, ent = reg
    with db.session(actor="ind-reg") as s:
        org = ent.org_id
        _lot(s, who, org, date(2023, 6, 15), True)  # twelve months and a day before ON: out
        a = _lot(s, who, org, date(2024, 1, 10), True)
        nc.publish(s, who, a.id, date(2024, 1, 11))  # published or not, a verdict counts
        _lot(s, who, org, date(2024, 3, 5), False)
        _lot(s, who, org, date(2024, 5, 20), True)
        _lot(s, who, org, date(2024, 6, 16), False)  # after ON: out
        _lot(s, ent, org, date(2024, 2, 1), False, kind="self_check")  # the packer's own: out
        drawn = nc.create(s, who, kind="inspection", org_id=org, product="面粉", nominal="10", unit="kg",
                          lot_size=60, now=NOW)  # fmt: skip
        nc.draw(s, who, drawn.id, NOW)
    with db.session() as s:
        got = {c.indicator.code: c for c in service.compute_all(s, ON, plan="jieyang")}["jy.net_content"]
        assert (got.numerator, got.denominator, got.source) == (2, 3, "query")
        assert got.value == pytest.approx(200 / 3) and got.drill == "/netcontent"
        assert nc.pass_counts(s, date(2024, 1, 10), date(2024, 3, 5)) == (1, 2)  # both ends count
    with db.session(actor="ind-reg") as s:
        assert service.take_snapshot(s, who, ON) > 0
        service.rebuild_history(s, who, date(2023, 1, 1), ON)
    with db.session() as s:
        tr = service.track(s, "jy.net_content", ON)
    by = {r.period: (round(r.value, 2), r.origin) for r in tr.points}
    assert "2023-05" not in by  # no lot judged yet: no value, never 0 %
    assert by["2023-06"] == (100, "rebuilt") and by["2024-01"] == (100, "rebuilt")
    assert by["2024-03"] == (66.67, "rebuilt") and by["2024-05"] == (75, "rebuilt")
    assert by["2024-06"] == (66.67, "computed")
    with pytest.raises(ConflictError, match="takes no manual value"), db.session(actor="ind-reg") as s:
        service.enter_manual(s, who, "jy.net_content", "2024-05", 90, "doc 1", ON)


def _scale_type(s):
    from jiliang.registry.models import InstrumentType

    t = InstrumentType(code="T-RB", name="秤", name_en="Scale", category="质量", uses=["trade"],
                       period_months=12, quantity="mass", aliases=[], edition="city",
                       effective_from=date(2020, 1, 1))  # fmt: skip
    s.add(t)
    s.flush()
    return t


def test_verification_rate_rebuilt_from_the_verification_records(reg):
    """受检率 of past month ends from the verification records (in service then; the latest record
    on or before the month's end passed and was due no earlier), equal to the live figure today."""
    from jiliang.registry import metrics
    from jiliang.registry import service as registry
    from jiliang.registry.models import Instrument, MeasurementStandard

    db, who, _ = reg
    created = datetime(2023, 1, 5, tzinfo=UTC)
    plan = {  # serial: verifications (day, result); due 12 months after a pass
        "A": [(date(2023, 1, 10), "pass"), (date(2024, 1, 8), "pass")],  # on time every month
        "B": [(date(2023, 2, 20), "pass")],  # due 2024-02-20: on time to January, late from February
        "C": [(date(2023, 3, 1), "pass"), (date(2024, 3, 15), "fail")],  # late from March (failed)
        "D": [],  # registered in January 2023, never verified: counted, never on time
        "E": [(date(2023, 11, 30), "pass")],  # registered in 2024 but verified in Nov 2023: counted from then
        "R": [(date(2023, 1, 10), "pass")],  # retired since: not counted in any month
    }
    with db.session(actor="ind-reg") as s:
        org = s.scalar(select(Organization.id).limit(1))
        t = _scale_type(s)
        std = MeasurementStandard(
            code="STD-RB", name="砝码", level="public", quantity="mass", covers=["T-RB"]
        )
        s.add(std)
        s.flush()
        ids = {}
        for serial, records in plan.items():
            at = datetime(2024, 5, 1, tzinfo=UTC) if serial == "E" else created
            inst = Instrument(type_id=t.id, owner_id=org, serial=serial, use="trade", created_at=at)
            s.add(inst)
            s.flush()
            ids[serial] = inst.id
            for day, result in records:
                registry.record_verification(s, who, inst.id, verified_on=day, today=ON, result=result,
                                             certificate_no=f"C{serial}{day}" if result == "pass" else None,
                                             standard_ids=[std.id])  # fmt: skip
        s.get(Instrument, ids["R"]).status = "retired"
    with db.session() as s:
        assert metrics.rate_from_records(s, date(2022, 12, 31)) == (0, 0)  # nothing in service yet
        assert metrics.rate_from_records(s, date(2023, 1, 31)) == (1, 4)  # A on time; B C D not yet
        assert metrics.rate_from_records(s, date(2023, 11, 30)) == (4, 5)  # A B C E; D never
        assert metrics.rate_from_records(s, date(2024, 1, 31)) == (4, 5)
        assert metrics.rate_from_records(s, date(2024, 2, 29)) == (3, 5)  # B due 20 February
        assert metrics.rate_from_records(s, date(2024, 3, 31)) == (2, 5)  # C failed on 15 March
        live = QUERIES["verification_rate"].fn(s, ON, date(2021, 1, 1))  # type: ignore[misc]
        past = QUERIES["verification_rate"].past(s, ON, date(2021, 1, 1))  # type: ignore[misc]
        assert (live.numerator, live.denominator) == (past.numerator, past.denominator) == (2, 5)
        assert live.value == past.value == metrics.overall_rate(s, ON).rate * 100  # type: ignore[operator]
    with db.session(actor="ind-reg") as s:
        service.take_snapshot(s, who, ON)
        service.rebuild_history(s, who, date(2022, 12, 1), ON)
    with db.session() as s:
        tr = service.track(s, "jy.verification_rate", ON)
        rows = s.scalars(select(IndicatorValue).where(IndicatorValue.indicator == "cz.verification_rate"))
        assert {r.period for r in rows if r.origin == "rebuilt"} == {
            r.period for r in tr.points if r.origin == "rebuilt"
        }
    by = {r.period: (round(r.value, 2), r.origin) for r in tr.points}
    assert "2022-12" not in by  # no instrument in service: no value, never 0 %
    assert by["2023-01"] == (25, "rebuilt") and by["2024-01"] == (80, "rebuilt")
    assert by["2024-02"] == (60, "rebuilt") and by["2024-05"] == (40, "rebuilt")
    assert by["2024-06"] == (40, "computed")
