"""Service of the cheating checks: analyse uploaded station and charger data, list sites and flags,
rank sites for key supervision, record inspection outcomes and measure the detector's hit rate.

Who may do what: the regulator sees and does everything; a fuel station (enterprise) or a charger
operator uploads, reads back, downloads and runs again the data of its own sites and sees their flags; only the regulator sees the key-supervision list,
records outcomes and reads the hit rate. Every write is one transaction, audited with the caller.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.meters.chargers import ChargerSettings, analyse_chargers
from jiliang.meters.cheatdata import SubmissionView, file_row, load_files, store_submission, submission_view
from jiliang.meters.cheatio import parse_charger_site, parse_station
from jiliang.meters.cheatmodels import CheatAnalysis, CheatFlag, CheatOutcome, CheatSite
from jiliang.meters.dispensers import ReconciliationSettings, StationAnalysis, analyse_station
from jiliang.meters.keysites import (
    Evidence,
    HitRate,
    KeysitePolicy,
    Outcome,
    RankedSite,
    SiteEvidence,
    hit_rate,
    rank_sites,
    targets_csv,
)
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, OrgKind, Role

__all__ = [
    "OUTCOME_SOURCES",
    "SITE_KINDS",
    "AnalysisView",
    "Provenance",
    "SiteView",
    "analyse_charger_upload",
    "analyse_fuel_upload",
    "analysis_dict",
    "detector_hit_rate",
    "keysites",
    "keysites_csv",
    "limits",
    "list_sites",
    "policy",
    "provenance",
    "record_outcome",
    "rerun",
    "site_detail",
    "site_key",
    "submitted_file",
    "upload_orgs",
]

DATA = Path(__file__).parent / "data"
SITE_KINDS = {"fuel_station": OrgKind.FUEL_STATION.value, "charging_site": OrgKind.CHARGING.value}
OUTCOME_SOURCES = ("inspection", "field_check")


@cache
def limits() -> dict[str, Any]:
    """The statutory limits file (edition, JJG 443 MPE, charger class limits)."""
    data: dict[str, Any] = json.loads((DATA / "cheating-limits.json").read_text("utf-8"))
    return data


@cache
def policy() -> KeysitePolicy:
    """The key-supervision policy in force (a local policy file)."""
    return KeysitePolicy.from_mapping(json.loads((DATA / "keysites-policy-2026.json").read_text("utf-8")))


@dataclass(frozen=True, slots=True)
class SiteView:
    id: int
    org_id: int
    org_name: str
    kind: str
    code: str
    name: str
    analysis_id: int | None
    analysed_at: datetime | None
    flagged: bool
    flags: int
    devices: int


def site_key(site_id: int) -> str:
    """The site's id in a draw's targets list and in inspection tasks."""
    return f"CS{site_id}"


def _site(session: Session, principal: Principal, site_id: int) -> CheatSite:
    principal.require(Role.ENTERPRISE, Role.REGULATOR)
    site = session.get(CheatSite, site_id)
    if site is None or not principal.may_see_org(site.org_id):
        raise NotFoundError(f"no site {site_id}")
    return site


def _ensure_site(
    session: Session, principal: Principal, org_id: int | None, kind: str, code: str, name: str
) -> CheatSite:
    principal.require(Role.ENTERPRISE, Role.REGULATOR)
    org_id = org_id if principal.is_regulator else principal.org_id
    if org_id is None:
        raise InputError(
            "the regulator names the organization (org_id) the site belongs to", code="cheat_org_required"
        )
    org = session.get(Organization, org_id)
    if org is None or not principal.may_see_org(org_id):
        raise NotFoundError(f"no organization {org_id}")
    if org.kind != SITE_KINDS[kind]:
        raise PermissionDeniedError(
            f"organization {org_id} is not a {SITE_KINDS[kind]} and has no {kind}", code="cheat_org_kind"
        )
    if (
        not code
        or len(code) > 64
        or not code.isprintable()
        or not name
        or len(name) > 200
        or not name.isprintable()
    ):
        raise InputError(
            "site code (1–64 characters) and name (1–200 characters) must be printable text",
            code="cheat_site_text",
        )
    site = session.scalars(
        select(CheatSite).where(CheatSite.org_id == org_id, CheatSite.code == code)
    ).first()
    if site is None:
        site = CheatSite(org_id=org_id, kind=kind, code=code, name=name)
        session.add(site)
        session.flush()
    elif site.kind != kind:
        raise ConflictError(f"site {code} is a {site.kind}", code="cheat_site_kind")
    return site


def _digest(files: Mapping[str, bytes | None], settings: Mapping[str, Any]) -> str:
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name] or b"").digest())
    return h.hexdigest()


def _replay(session: Session, site: CheatSite, digest: str) -> CheatAnalysis | None:
    """The first analysis of these files and settings whose files are kept (an analysis made before
    files were kept is not a replay: uploading the same files again keeps them)."""
    q = select(CheatAnalysis).where(
        CheatAnalysis.site_id == site.id,
        CheatAnalysis.data_digest == digest,
        CheatAnalysis.submission_id.is_not(None),
    )
    return session.scalars(q.order_by(CheatAnalysis.id).limit(1)).first()


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _fuel_result(res: StationAnalysis, dropped: int, mpe: float) -> dict[str, Any]:
    tanks = []
    for t in res.tanks:
        d = asdict(t)
        d.pop("partial")
        d["delivery_variance_l"] = list(t.delivery_variance_l)
        tanks.append(d)
    partial = {k: {"x": list(v[0]), "y": list(v[1])} for t in res.tanks for k, v in t.partial.items()}
    return {
        "kind": "fuel_station",
        "mpe_pct": mpe,
        "edition": limits()["edition"],
        "standard": limits()["fuel_dispenser"]["standard"],
        "standard_number": limits()["fuel_dispenser"]["number"],
        "dropped_readings": dropped,
        "tanks": tanks,
        "nozzles": [asdict(n) for n in res.nozzles],
        "partial": partial,
        "flags": [asdict(f) for f in res.flags],
        "flagged_dispensers": list(res.flagged_dispensers),
    }


@dataclass(frozen=True, slots=True)
class _Computed:
    """What an analysis found, before it is stored."""

    digest: str
    settings: dict[str, Any]
    result: dict[str, Any]
    flags: list[tuple[str, str, str]]
    period: tuple[float, float]


def _store(
    session: Session,
    principal: Principal,
    site: CheatSite,
    done: _Computed,
    now: datetime,
    submission_id: int | None,
    note: str = "cheating check of the site's data",
) -> CheatAnalysis:
    an = CheatAnalysis(
        site_id=site.id,
        submission_id=submission_id,
        created_at=now,
        created_by=principal.actor[:64],
        data_digest=done.digest,
        settings=done.settings,
        period_start=_dt(done.period[0]),
        period_end=_dt(done.period[1]),
        flagged=bool(done.flags),
        result=done.result,
    )
    session.add(an)
    session.flush()
    if done.flags:
        session.execute(
            insert(CheatFlag),
            [
                {
                    "analysis_id": an.id,
                    "site_id": site.id,
                    "device_id": d[:64],
                    "reason": r,
                    "detail": x[:500],
                }
                for d, r, x in done.flags
            ],
        )
    summary = {
        "site_id": site.id,
        "submission_id": submission_id,
        "flags": len(done.flags),
        "flagged": bool(done.flags),
        "digest": done.digest,
    }
    record(session, [AuditChange("insert", "cheat_analysis", str(an.id), after=summary, note=note)])
    return an


def _software_ids(text: str) -> list[str]:
    """Approved software identifications, comma-separated (none: the rule is not applied)."""
    ids = sorted({p.strip() for p in text.split(",") if p.strip()})
    if len(text) > 1000 or any(len(i) > 64 or not i.isprintable() for i in ids):
        raise InputError(
            "approved software: comma-separated identifications of at most 64 characters",
            code="cheat_software_ids",
        )
    return ids


def _fuel_digest(files: Mapping[str, bytes | None], approved: list[str]) -> tuple[dict[str, Any], str]:
    settings = asdict(ReconciliationSettings(mpe_pct=float(limits()["fuel_dispenser"]["mpe_pct"])))
    return settings, _digest(files, {**settings, "approved": approved})


def _compute_fuel(code: str, files: Mapping[str, bytes | None], approved: list[str]) -> _Computed:
    """Parse and reconcile a station's files (refused whole with a one-line reason if malformed)."""
    settings, digest = _fuel_digest(files, approved)
    totalisers, tank = files.get("totalisers"), files.get("tank")
    if totalisers is None or tank is None:
        raise InputError("upload the totalisers and tank files", code="cheat_files_missing")
    data, evs, dropped = parse_station(code, totalisers, tank, files.get("events"))
    res = analyse_station(
        data, evs, ReconciliationSettings(**settings), frozenset(approved) if approved else None
    )
    flags = [
        (n.nozzle_id, n.status, f"δ {n.delta_pct:+.2f} % ± {n.u_pct:.2f} %")
        for n in res.nozzles
        if n.status in ("suspected_cheat", "out_of_limit")
    ]
    flags += [(f.dispenser_id, f.kind, f.evidence) for f in res.flags]
    ts = [float(t.ts[0]) for t in data.tanks] + [float(t.ts[-1]) for t in data.tanks]
    result = _fuel_result(res, dropped, float(settings["mpe_pct"]))
    return _Computed(digest, settings, result, flags, (min(ts), max(ts)))


def _charger_limit(accuracy_class: str) -> float:
    lim = limits()["ev_charger"]
    if accuracy_class not in lim["class_limits_pct"]:
        raise InputError(
            f"accuracy class {accuracy_class[:8]!r} is not one of {', '.join(lim['class_limits_pct'])}",
            code="cheat_accuracy_class",
        )
    return float(lim["class_limits_pct"][accuracy_class])


def _charging_digest(files: Mapping[str, bytes | None], accuracy_class: str) -> tuple[dict[str, Any], str]:
    settings = asdict(ChargerSettings(limit_pct=_charger_limit(accuracy_class)))
    return settings, _digest(files, settings)


def _nan(v: float | None) -> float:
    return float("nan") if v is None else v


def _compute_charging(code: str, files: Mapping[str, bytes | None], accuracy_class: str) -> _Computed:
    """Parse a charging site's files and check its chargers (refused whole if malformed)."""
    settings, digest = _charging_digest(files, accuracy_class)
    registers = files.get("registers")
    if registers is None:
        raise InputError("upload the registers file", code="cheat_files_missing")
    data, ses = parse_charger_site(code, registers, files.get("sessions"))
    results = analyse_chargers(data, ses, ChargerSettings(**settings))
    lim = limits()["ev_charger"]
    result = {
        "kind": "charging_site",
        "accuracy_class": accuracy_class,
        "limit_pct": settings["limit_pct"],
        "edition": limits()["edition"],
        "standard": lim["standard"],
        "standard_number": lim["number"],
        "chargers": [asdict(c) for c in results],
    }
    flags = [
        (c.charger_id, "charger_drift", f"e {_nan(c.e_pct):+.2f} %; vehicle {_nan(c.vehicle_e_pct):+.2f} %")
        for c in results
        if c.status == "drift"
    ]
    return _Computed(digest, settings, result, flags, (float(data.ts[0]), float(data.ts[-1])))


def analyse_fuel_upload(
    session: Session,
    principal: Principal,
    *,
    org_id: int | None,
    code: str,
    name: str,
    totalisers: bytes,
    tank: bytes,
    events: bytes | None,
    now: datetime,
    approved_software: str = "",
) -> tuple[CheatAnalysis, bool]:
    """Analyse a station's files, keep them and the result; an identical upload returns the first
    analysis. Malformed files are refused whole and nothing is stored."""
    site = _ensure_site(session, principal, org_id, "fuel_station", code, name)
    approved = _software_ids(approved_software)
    files = {"totalisers": totalisers, "tank": tank, "events": events}
    found = _replay(session, site, _fuel_digest(files, approved)[1])
    if found is not None:
        return found, True
    done = _compute_fuel(code, files, approved)
    sub = store_submission(session, site.id, principal.actor, now, files, {"approved_software": approved})
    return _store(session, principal, site, done, now, sub.id), False


def analyse_charger_upload(
    session: Session,
    principal: Principal,
    *,
    org_id: int | None,
    code: str,
    name: str,
    registers: bytes,
    sessions: bytes | None,
    accuracy_class: str,
    now: datetime,
) -> tuple[CheatAnalysis, bool]:
    """Analyse a charging site's files (chargers of one accuracy class), keep them and the result."""
    _charger_limit(accuracy_class)
    site = _ensure_site(session, principal, org_id, "charging_site", code, name)
    files = {"registers": registers, "sessions": sessions}
    found = _replay(session, site, _charging_digest(files, accuracy_class)[1])
    if found is not None:
        return found, True
    done = _compute_charging(code, files, accuracy_class)
    sub = store_submission(session, site.id, principal.actor, now, files, {"accuracy_class": accuracy_class})
    return _store(session, principal, site, done, now, sub.id), False


def analysis_dict(an: CheatAnalysis, replay: bool) -> dict[str, Any]:
    """An analysis as the API and the command line return it; ``already_received``: the same files
    and settings had been analysed before and this is that first analysis."""
    return {
        "id": an.id,
        "site_id": an.site_id,
        "flagged": an.flagged,
        "already_received": replay,
        "submission_id": an.submission_id,
        "created_at": an.created_at.isoformat() if an.created_at else None,
        "result": an.result,
    }


def rerun(
    session: Session, principal: Principal, analysis_id: int, now: datetime, site_id: int | None = None
) -> CheatAnalysis:
    """Run an analysis again on the data it was made from, with the limits in force now; a new
    analysis is stored (the earlier one is kept). ``site_id``, if given, must be the analysis's."""
    an = session.get(CheatAnalysis, analysis_id)
    if an is None or site_id not in (None, an.site_id):
        raise NotFoundError(f"no analysis {analysis_id}")
    site = _site(session, principal, an.site_id)
    if an.submission_id is None:
        raise ConflictError(
            f"analysis {analysis_id} was made before submitted data were kept: upload the files again",
            code="cheat_no_data",
        )
    sub = submission_view(session, an.submission_id)
    files: dict[str, bytes | None] = dict(load_files(session, an.submission_id))
    params = sub.params if sub is not None else {}
    if site.kind == "fuel_station":
        done = _compute_fuel(site.code, files, list(params.get("approved_software", [])))
    else:
        done = _compute_charging(site.code, files, str(params.get("accuracy_class", "2")))
    return _store(
        session,
        principal,
        site,
        done,
        now,
        an.submission_id,
        note=f"cheating check run again from analysis {an.id}",
    )


def _latest(session: Session, site_ids: list[int]) -> dict[int, CheatAnalysis]:
    if not site_ids:
        return {}
    last = (
        select(CheatAnalysis.site_id, func.max(CheatAnalysis.id).label("mx"))
        .where(CheatAnalysis.site_id.in_(site_ids))
        .group_by(CheatAnalysis.site_id)
        .subquery()
    )
    rows = session.scalars(select(CheatAnalysis).join(last, CheatAnalysis.id == last.c.mx))
    return {a.site_id: a for a in rows}


def list_sites(session: Session, principal: Principal, kind: str | None = None) -> list[SiteView]:
    """Sites the caller may see, with their latest analysis (flags first, then by name)."""
    principal.require(Role.ENTERPRISE, Role.REGULATOR)
    if kind is not None and kind not in SITE_KINDS:
        raise InputError(f"kind must be one of {', '.join(SITE_KINDS)}")
    q = select(CheatSite, Organization.name).join(Organization, Organization.id == CheatSite.org_id)
    if kind:
        q = q.where(CheatSite.kind == kind)
    if not principal.is_regulator:
        q = q.where(CheatSite.org_id == principal.org_id)
    rows = list(session.execute(q))
    latest = _latest(session, [s.id for s, _ in rows])
    counts = (
        dict(
            session.execute(
                select(CheatFlag.analysis_id, func.count())
                .where(CheatFlag.analysis_id.in_([a.id for a in latest.values()]))
                .group_by(CheatFlag.analysis_id)
            )
            .tuples()
            .all()
        )
        if latest
        else {}
    )
    out = []
    for site, org_name in rows:
        an = latest.get(site.id)
        devices = len(an.result.get("nozzles", an.result.get("chargers", []))) if an else 0
        out.append(
            SiteView(
                site.id,
                site.org_id,
                org_name,
                site.kind,
                site.code,
                site.name,
                an.id if an else None,
                an.created_at if an else None,
                bool(an and an.flagged),
                int(counts.get(an.id, 0)) if an else 0,
                devices,
            )
        )
    out.sort(key=lambda v: (not v.flagged, -v.flags, v.name, v.id))
    return out


def _analysis(session: Session, site: CheatSite, analysis_id: int | None) -> CheatAnalysis | None:
    if analysis_id is None:
        return _latest(session, [site.id]).get(site.id)
    an = session.get(CheatAnalysis, analysis_id)
    if an is None or an.site_id != site.id:
        raise NotFoundError(f"no analysis {analysis_id} of site {site.id}")
    return an


def site_detail(
    session: Session, principal: Principal, site_id: int, analysis_id: int | None = None
) -> tuple[SiteView, dict[str, Any] | None, list[dict[str, Any]]]:
    """The site, the result of its latest analysis (or of ``analysis_id``; None before any), and
    that analysis's flags."""
    site = _site(session, principal, site_id)
    view = next(v for v in list_sites(session, principal, site.kind) if v.id == site.id)
    an = _analysis(session, site, analysis_id)
    if an is None:
        return view, None, []
    flags = [
        {"device_id": f.device_id, "reason": f.reason, "detail": f.detail}
        for f in session.scalars(
            select(CheatFlag).where(CheatFlag.analysis_id == an.id).order_by(CheatFlag.id)
        )
    ]
    return view, an.result, flags


@dataclass(frozen=True, slots=True)
class AnalysisView:
    """One analysis of a site: when and by whom it was made, the digest of its data and settings,
    the submission it was made from (None: made before submitted data were kept)."""

    id: int
    created_at: datetime
    created_by: str
    data_digest: str
    flagged: bool
    submission_id: int | None
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Provenance:
    """The analysis shown, the data behind it, and every analysis of the site (newest first)."""

    analysis: AnalysisView
    submission: SubmissionView | None
    history: tuple[AnalysisView, ...]


def _analysis_view(an: CheatAnalysis) -> AnalysisView:
    return AnalysisView(
        an.id, an.created_at, an.created_by, an.data_digest, an.flagged, an.submission_id, dict(an.settings)
    )


def provenance(
    session: Session, principal: Principal, site_id: int, analysis_id: int | None = None
) -> Provenance | None:
    """Where the site's latest analysis (or ``analysis_id``) came from; None before any analysis."""
    site = _site(session, principal, site_id)
    an = _analysis(session, site, analysis_id)
    if an is None:
        return None
    history = session.scalars(
        select(CheatAnalysis).where(CheatAnalysis.site_id == site.id).order_by(CheatAnalysis.id.desc())
    )
    sub = submission_view(session, an.submission_id) if an.submission_id is not None else None
    return Provenance(_analysis_view(an), sub, tuple(_analysis_view(a) for a in history))


def submitted_file(session: Session, principal: Principal, file_id: int) -> tuple[str, bytes]:
    """A submitted file as received (checked against its SHA-256), with a file name for it."""
    sub, name, data = file_row(session, file_id)
    try:
        _site(session, principal, sub.site_id)
    except NotFoundError:
        raise NotFoundError(f"no submitted file {file_id}") from None
    return f"submission-{sub.id}-{name}.csv", data


def upload_orgs(session: Session, principal: Principal, kind: str) -> list[tuple[int, str]]:
    """Organizations the caller may submit a ``kind`` site's data for: every station (or charger
    operator) for the regulator, its own organization for an enterprise of that kind."""
    if kind not in SITE_KINDS:
        raise InputError(f"kind must be one of {', '.join(SITE_KINDS)}")
    if not principal.is_regulator and (principal.role is not Role.ENTERPRISE or principal.org_id is None):
        return []
    q = select(Organization.id, Organization.name).where(Organization.kind == SITE_KINDS[kind])
    if not principal.is_regulator:
        q = q.where(Organization.id == principal.org_id)
    return [(int(i), str(n)) for i, n in session.execute(q.order_by(Organization.name, Organization.id))]


_METER_REASONS = {
    "suspected_theft": "suspected_theft",
    "out_of_limit": "meter_out_of_limit",
    "suspect": "meter_suspect",
}


def _credit_classes(session: Session) -> dict[int, str]:
    """Organizations' credit classes where the supervision capability is installed."""
    if importlib.util.find_spec("jiliang.supervision.models") is None:
        return {}
    from jiliang.supervision.models import CreditClass

    return {int(o): str(c) for o, c in session.execute(select(CreditClass.org_id, CreditClass.credit_class))}


def _site_evidence(session: Session, classes: dict[int, str]) -> list[SiteEvidence]:
    rows = list(
        session.execute(
            select(CheatSite, Organization.name).join(Organization, Organization.id == CheatSite.org_id)
        )
    )
    latest = _latest(session, [s.id for s, _ in rows])
    ids = [a.id for a in latest.values()]
    by_an: dict[int, list[Evidence]] = {}
    if ids:
        for f in session.scalars(
            select(CheatFlag).where(CheatFlag.analysis_id.in_(ids)).order_by(CheatFlag.id)
        ):
            by_an.setdefault(f.analysis_id, []).append(Evidence(f.reason, f.device_id, f.detail))
    return [
        SiteEvidence(
            site_key(s.id),
            f"{org} · {s.name}",
            s.kind,
            s.org_id,
            by_an.get(latest[s.id].id, []) if s.id in latest else [],
            classes.get(s.org_id, "B"),
        )
        for s, org in rows
    ]


def _meter_evidence(session: Session, classes: dict[int, str]) -> list[SiteEvidence]:
    from jiliang.meters.models import MeterEstimationRun, MeterResult

    last = select(func.max(MeterEstimationRun.id)).group_by(MeterEstimationRun.org_id)
    q = (
        select(
            MeterEstimationRun.org_id,
            MeterResult.area_id,
            MeterResult.meter_id,
            MeterResult.status,
            MeterResult.error_pct,
        )
        .join(MeterEstimationRun, MeterEstimationRun.id == MeterResult.run_id)
        .where(MeterResult.run_id.in_(last), MeterResult.status.in_(list(_METER_REASONS)))
        .order_by(MeterResult.area_id, MeterResult.meter_id)
    )
    areas: dict[tuple[int, str], list[Evidence]] = {}
    for org_id, area, meter, status, err in session.execute(q):
        detail = "" if err is None else f"e {err:+.2f} %"
        areas.setdefault((int(org_id), str(area)), []).append(
            Evidence(_METER_REASONS[str(status)], str(meter), detail)
        )
    return [
        SiteEvidence(f"MA{org}-{area}"[:64], f"台区 {area}", "meter_area", org, ev, classes.get(org, "B"))
        for (org, area), ev in sorted(areas.items())
    ]


def keysites(session: Session, principal: Principal) -> list[RankedSite]:
    """Every site (fuel stations, charging sites, transformer areas with flagged meters) ranked by
    the key-supervision policy, with the score explained (regulator only)."""
    principal.require(Role.REGULATOR)
    classes = _credit_classes(session)
    return rank_sites(_site_evidence(session, classes) + _meter_evidence(session, classes), policy())


def keysites_csv(session: Session, principal: Principal) -> str:
    """The key-supervision list as a ``jiliang-draw/1`` targets CSV (sites at or above the score)."""
    return targets_csv(keysites(session, principal))


def record_outcome(
    session: Session,
    principal: Principal,
    site_id: int,
    *,
    checked_on: date,
    source: str,
    confirmed: bool,
    note: str = "",
) -> CheatOutcome:
    """Record what an inspection or field check found; whether the site was on the list is kept."""
    principal.require(Role.REGULATOR)
    site = _site(session, principal, site_id)
    if source not in OUTCOME_SOURCES:
        raise InputError(f"source must be one of {', '.join(OUTCOME_SOURCES)}")
    if len(note) > 500 or not note.replace("\n", " ").isprintable():
        raise InputError("the note must be printable text of at most 500 characters")
    key = site_key(site.id)
    on_list = any(r.site_id == key and r.key for r in keysites(session, principal))
    out = CheatOutcome(
        site_id=site.id,
        checked_on=checked_on,
        source=source,
        confirmed=confirmed,
        flagged=on_list,
        note=note,
        recorded_by=principal.actor[:64],
    )
    session.add(out)
    session.flush()
    return out


def _listed_on(session: Session, keys: dict[str, bool], key: str, day: date | None) -> bool:
    """Whether the site was on the list on ``day``: its latest analysis made by the end of that day,
    scored by the policy in force (today's list when the day was not recorded)."""
    if day is None:
        return keys.get(key, False)
    end = datetime.combine(day, time.max, UTC)
    site = session.get(CheatSite, int(key[2:]))
    an = session.scalars(
        select(CheatAnalysis)
        .where(CheatAnalysis.site_id == int(key[2:]), CheatAnalysis.created_at <= end)
        .order_by(CheatAnalysis.created_at.desc(), CheatAnalysis.id.desc())
        .limit(1)
    ).first()
    if site is None or an is None:
        return False
    flags = session.scalars(select(CheatFlag).where(CheatFlag.analysis_id == an.id))
    evidence = [Evidence(f.reason, f.device_id, f.detail) for f in flags]
    ranked = rank_sites([SiteEvidence(key, site.name, site.kind, site.org_id, evidence)], policy())
    return bool(ranked and ranked[0].key)


def _task_outcomes(session: Session, keys: dict[str, bool]) -> list[tuple[date, Outcome]]:
    """Results of finished random-inspection tasks on a site (target ``CS<site>``, a list drawn from
    the export) or on the organization that owns it (target = organization id, as plans made in the
    console draw organizations): ``failed``, ``rectify`` or ``closed`` = confirmed, ``passed`` = not;
    each with the day it was inspected (``date.min`` if not recorded) and whether the site was on
    the list that day (a site flagged only after its inspection is not a hit of the detector)."""
    if importlib.util.find_spec("jiliang.supervision.models") is None:
        return []
    from jiliang.supervision.models import InspectionTask

    owners: dict[str, list[str]] = {}
    for sid, org in session.execute(select(CheatSite.id, CheatSite.org_id)):
        owners.setdefault(str(org), []).append(site_key(int(sid)))
    done = ("passed", "rectify", "failed", "closed")
    wanted = [*keys, *owners]
    q = (
        select(InspectionTask.target_key, InspectionTask.status, InspectionTask.inspected_on)
        .where(InspectionTask.target_key.in_(wanted), InspectionTask.status.in_(done))
        .order_by(InspectionTask.inspected_on, InspectionTask.id)
    )
    out: list[tuple[date, Outcome]] = []
    for target, status, day in session.execute(q):
        for key in [str(target)] if str(target) in keys else owners.get(str(target), []):
            hit = str(status) in ("rectify", "failed", "closed")
            out.append((day or date.min, Outcome(key, _listed_on(session, keys, key, day), hit)))
    return out


def detector_hit_rate(session: Session, principal: Principal) -> tuple[HitRate, int]:
    """The hit rate from recorded outcomes and finished inspection tasks, and how many were counted.

    Both kinds are put in the order of the day they were found, so the latest outcome of a site
    is the latest in time whichever way it was recorded (on the same day, a recorded check last).
    """
    ranked = keysites(session, principal)
    keys = {r.site_id: r.key for r in ranked if r.site_id.startswith("CS")}
    recorded = [
        (o.checked_on, Outcome(site_key(o.site_id), o.flagged, o.confirmed))
        for o in session.scalars(select(CheatOutcome).order_by(CheatOutcome.checked_on, CheatOutcome.id))
    ]
    dated = sorted(
        [(d, 0, i, o) for i, (d, o) in enumerate(_task_outcomes(session, keys))]
        + [(d, 1, i, o) for i, (d, o) in enumerate(recorded)],
        key=lambda x: (x[0], x[1], x[2]),
    )
    outcomes = [o for *_, o in dated]
    return hit_rate(outcomes), len(outcomes)
