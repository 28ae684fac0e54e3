"""The cheating-check service on SQLite and PostgreSQL: storage, replays, access, ranking, outcomes
from field checks and from random-inspection tasks, and the audit entries."""

from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import func, select

from jiliang.errors import NotFoundError, PermissionDeniedError
from jiliang.meters import cheating
from jiliang.meters.cheatio import station_csv
from jiliang.meters.dispensersynth import SynthStationConfig, synth_station
from jiliang.platform.auth import Principal
from jiliang.platform.models import AuditEntry, Organization, Role

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)


def _files(cheat: bool, seed: int) -> dict[str, bytes]:
    cfg = SynthStationConfig(days=12, cheat=cheat, cheat_range_pct=(-2.5, -2.0), cheat_trace_probability=0.0)
    st = synth_station(cfg, np.random.default_rng(seed))
    return station_csv(st.data, st.events)


def _upload(session, who, code, files, org_id=None):
    return cheating.analyse_fuel_upload(
        session, who, org_id=org_id, code=code, name=code, totalisers=files["totalisers"], tank=files["tank"],
        events=files["events"], now=NOW,
    )  # fmt: skip


def _inspection_task(session, org_id, target_key, target_name, status, inspected_on=None):
    """A drawn random-inspection plan with one task for ``target_key`` (its outcome ``status``)."""
    from jiliang.supervision.models import DrawRow, InspectionPlan, InspectionTask

    plan = InspectionPlan(
        title="t", scope="fuel", year=2026, status="drawn", policy={}, targets_csv="", inspectors_csv=""
    )
    session.add(plan)
    session.flush()
    draw = DrawRow(plan_id=plan.id, record_json="{}")
    session.add(draw)
    session.flush()
    session.add(InspectionTask(plan_id=plan.id, draw_id=draw.id, org_id=org_id, target_key=target_key,
                               target_name=target_name, inspectors=["i1"], status=status, findings=[],
                               inspected_on=inspected_on))  # fmt: skip


def test_service_contract(db):

    with db.session(actor="test") as s:
        a, b = Organization(name="甲站", kind="fuel_station"), Organization(name="乙站", kind="fuel_station")
        s.add_all([a, b])
        s.flush()
        ids = (a.id, b.id)
    reg = Principal(1, "reg", Role.REGULATOR, None)
    fa, fb = Principal(2, "fa", Role.ENTERPRISE, ids[0]), Principal(3, "fb", Role.ENTERPRISE, ids[1])
    files_a, files_b = _files(True, 1), _files(False, 2)
    with db.session(actor="fa") as s:
        an, replay = _upload(s, fa, "A1", files_a)
        assert an.flagged and not replay
        site_a = an.site_id
    with db.session(actor="fa") as s:
        again, replay = _upload(s, fa, "A1", files_a)
        assert replay and again.id == an.id
    with db.session(actor="reg") as s:
        site_b = _upload(s, reg, "B1", files_b, org_id=ids[1])[0].site_id
    with db.session(actor="x", write=False) as s:
        assert [v.id for v in cheating.list_sites(s, fa)] == [site_a]
        assert next(v.id for v in cheating.list_sites(s, reg)) == site_a  # flagged first
        with pytest.raises(NotFoundError):
            cheating.site_detail(s, fb, site_a)
        with pytest.raises(PermissionDeniedError):
            cheating.keysites(s, fa)
        ranked = {r.site_id: r for r in cheating.keysites(s, reg)}
        assert ranked[f"CS{site_a}"].key and not ranked[f"CS{site_b}"].key
        assert (
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "cheat_analysis")
            )
            == 2
        )
    with db.session(actor="reg") as s:
        cheating.record_outcome(
            s, reg, site_a, checked_on=date(2026, 11, 1), source="field_check", confirmed=True
        )
        _inspection_task(s, ids[1], str(ids[1]), "乙站", "passed")
    with db.session(actor="reg", write=False) as s:
        h, counted = cheating.detector_hit_rate(s, reg)
        assert (
            h.flagged_checked,
            h.flagged_confirmed,
            h.unflagged_checked,
            h.unflagged_confirmed,
            counted,
        ) == (1, 1, 1, 0, 2)
        assert (
            s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "cheat_outcome"))
            == 1
        )


def test_the_latest_outcome_in_time_counts_whichever_way_it_was_recorded(db):

    with db.session(actor="test") as s:
        org = Organization(name="丙站", kind="fuel_station")
        s.add(org)
        s.flush()
        org_id = org.id
    reg = Principal(1, "reg", Role.REGULATOR, None)
    with db.session(actor="reg") as s:
        site = _upload(s, reg, "C1", _files(True, 1), org_id=org_id)[0].site_id
        # a field check in October found nothing; the inspection in December found the cheat
        cheating.record_outcome(
            s, reg, site, checked_on=date(2026, 10, 1), source="field_check", confirmed=False
        )
        _inspection_task(s, org_id, f"CS{site}", "丙站", "failed", date(2026, 12, 1))
    with db.session(actor="reg", write=False) as s:
        h, counted = cheating.detector_hit_rate(s, reg)
        assert (h.flagged_checked, h.flagged_confirmed, counted) == (1, 1, 2)


def test_submissions_are_kept_audited_and_run_again(db):
    from jiliang.errors import ConflictError
    from jiliang.meters.cheatdata import load_files
    from jiliang.meters.cheatmodels import CheatAnalysis

    with db.session(actor="test") as s:
        org = Organization(name="丁站", kind="fuel_station")
        s.add(org)
        s.flush()
        org_id = org.id
    own = Principal(2, "fd", Role.ENTERPRISE, org_id)
    other = Principal(3, "fe", Role.ENTERPRISE, org_id + 1000)
    files = _files(False, 4)
    with db.session(actor="fd") as s:
        an = _upload(s, own, "D1", files)[0]
        first, sub_id = an.id, an.submission_id
        assert sub_id is not None and load_files(s, sub_id) == files
        again = cheating.rerun(s, own, first, NOW)
        assert again.submission_id == sub_id and again.id != first
        with pytest.raises(NotFoundError):
            cheating.rerun(s, other, first, NOW)
        with pytest.raises(NotFoundError):
            cheating.rerun(s, own, first, NOW, site_id=an.site_id + 1)
    with db.session(actor="fd") as s:
        s.get(CheatAnalysis, first).submission_id = None  # an analysis from before data were kept
    with db.session(actor="fd") as s:
        with pytest.raises(ConflictError):
            cheating.rerun(s, own, first, NOW)
        # the same files uploaded again are a replay of the analysis that kept them
        assert _upload(s, own, "D1", files) == (s.get(CheatAnalysis, again.id), True)
        s.get(CheatAnalysis, again.id).submission_id = None
        kept, replay = _upload(s, own, "D1", files)  # no analysis kept its files: keep them now
        assert not replay and kept.submission_id is not None
    with db.session(actor="x", write=False) as s:
        trail = cheating.provenance(s, own, an.site_id)
        assert trail is not None and trail.submission is not None
        assert [f.name for f in trail.submission.files] == ["events", "tank", "totalisers"]
        assert len(trail.history) == 3
        audited = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "cheat_submission")
        )
        assert audited == 2


def test_an_inspection_before_the_site_was_flagged_is_not_a_hit_of_the_detector(db):

    with db.session(actor="test") as s:
        org = Organization(name="戊站", kind="fuel_station")
        s.add(org)
        s.flush()
        org_id = org.id
    reg = Principal(1, "reg", Role.REGULATOR, None)
    with db.session(actor="reg") as s:
        site = _upload(s, reg, "E1", _files(True, 1), org_id=org_id)[0].site_id  # flagged on NOW
        _inspection_task(s, org_id, f"CS{site}", "戊站", "failed", date(2026, 11, 2))
    with db.session(actor="reg", write=False) as s:
        h, counted = cheating.detector_hit_rate(s, reg)
        assert (h.flagged_checked, h.unflagged_checked, h.unflagged_confirmed, counted) == (0, 1, 1, 1)
