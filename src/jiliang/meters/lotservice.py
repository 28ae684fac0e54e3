"""In-service meter lots: form, draw, record results, decide, publish (the service layer).

States (:data:`TRANSITIONS`): ``formed`` → ``sampled`` → ``decided`` → ``published``. The
regulator draws, decides and publishes; the utility that owns the meters (an ``enterprise`` user of
that organization) forms its lots, sees them and records the results of its field checks. Every
operation is one transaction, audited with the acting user; a bad input stores nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.meters import lots as core
from jiliang.meters.lotmodels import MeterLot, MeterLotMember, MeterLotResult
from jiliang.meters.lotrules import load_rule, rule_data
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.platform.db import sqlite_page_cache
from jiliang.platform.models import Organization, OrgKind, Role

__all__ = [
    "KINDS",
    "MAX_METERS",
    "OUTCOMES",
    "TRANSITIONS",
    "LotView",
    "ResultEntry",
    "decide",
    "draw",
    "form",
    "list_lots",
    "lookup_meter",
    "lot_dict",
    "lot_view",
    "may_form_lots",
    "parse_meter_csv",
    "parse_results_csv",
    "publish",
    "record_results",
    "registry_rows",
    "utilities",
]

TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "formed": ("sampled",),
    "sampled": ("decided",),
    "decided": ("published",),
    "published": (),
}
OUTCOMES = ("conforming", "nonconforming", "inaccessible")
KINDS = ("electricity", "water", "gas")
MAX_METERS = 2_000_000
COLUMNS = ("meter_no", "kind", "maker", "model", "batch", "install_year")
_TEXT = re.compile(r"^[^\x00-\x1f\x7f<>\"'`]{1,64}$")


# ------------------------------------------------------------------ input


def _text(value: Any, what: str, line: int) -> str:
    s = str(value if value is not None else "").strip()
    if not _TEXT.fullmatch(s):
        raise InputError(
            f"line {line}: {what} {s[:40]!r} must have 1–64 characters, no control characters or <>\"'`",
            code="lot_csv_row",
            details={"line": line},
        )
    return s


def _row(raw: Mapping[str, Any], line: int) -> dict[str, Any]:
    row: dict[str, Any] = {k: _text(raw.get(k), k, line) for k in COLUMNS if k != "install_year"}
    if row["kind"] not in KINDS:
        raise InputError(
            f"line {line}: kind {row['kind'][:20]!r} is not one of {', '.join(KINDS)}",
            code="lot_csv_row",
            details={"line": line},
        )
    year = str(raw.get("install_year") or "").strip()
    if not year.isdigit() or not 1900 <= int(year) <= 2200:
        raise InputError(
            f"line {line}: install_year {year[:12]!r} is not a year (1900–2200)",
            code="lot_csv_row",
            details={"line": line},
        )
    row["install_year"] = int(year)
    return row


def parse_meter_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a meter list CSV with the columns ``meter_no, kind, maker, model, batch,
    install_year``; the first bad row stops the import with its line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise InputError(
            f"meter list: missing columns {', '.join(sorted(missing))}",
            code="lot_csv_columns",
            details={"columns": ", ".join(sorted(missing))},
        )
    rows: list[dict[str, Any]] = []
    try:
        for i, raw in enumerate(reader, start=2):
            if len(rows) >= MAX_METERS:
                raise InputError(
                    f"meter list: more than {MAX_METERS} meters",
                    code="lot_csv_too_many",
                    details={"max": MAX_METERS},
                )
            if None in raw:
                raise InputError(
                    f"line {i}: more cells than columns", code="lot_csv_row", details={"line": i}
                )
            rows.append(_row(raw, i))
    except csv.Error as exc:
        raise InputError(f"meter list: malformed CSV ({exc})", code="lot_csv_malformed") from None
    if not rows:
        raise InputError("meter list: no meters", code="lot_csv_empty")
    return rows


# ------------------------------------------------------------------ access


def may_form_lots(session: Session, principal: Principal) -> bool:
    """Whether the caller forms meter lots: the regulator, or a utility for its own meters."""
    if principal.is_regulator:
        return True
    if principal.role is not Role.ENTERPRISE or principal.org_id is None:
        return False
    org = session.get(Organization, principal.org_id)
    return org is not None and org.kind == OrgKind.UTILITY.value


def _org_for(session: Session, principal: Principal, org_id: int | None) -> int:
    """The utility whose meters form lots: named by the regulator, the caller's own otherwise."""
    principal.require(Role.REGULATOR, Role.ENTERPRISE)
    if principal.is_regulator:
        if org_id is None:
            raise InputError(
                "org_id: the regulator names the utility whose meters form the lots", code="lot_no_utility"
            )
    elif org_id not in (None, principal.org_id) or principal.org_id is None:
        raise PermissionDeniedError("a utility forms lots of its own meters only")
    else:
        org_id = principal.org_id
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFoundError(f"no organization {org_id}")
    if org.kind != OrgKind.UTILITY.value:
        raise PermissionDeniedError(
            f"organization {org_id} is not a utility: lots are formed of a utility's meters",
            code="lot_not_utility",
        )
    return org.id


def _lot(session: Session, principal: Principal, lot_id: int) -> MeterLot:
    principal.require(Role.REGULATOR, Role.ENTERPRISE)
    lot = session.get(MeterLot, lot_id)
    if lot is None or not principal.may_see_org(lot.org_id):
        raise NotFoundError(f"no meter lot {lot_id}")
    return lot


def _move(lot: MeterLot, to: str) -> None:
    if to not in TRANSITIONS[lot.status]:
        raise ConflictError(
            f"lot {lot.label} is {lot.status}; it cannot become {to}",
            code="lot_state",
            details={"label": lot.label},
        )
    lot.status = to


# ------------------------------------------------------------------ forming

REGISTRY_TYPES: Mapping[str, str] = {
    "electricity": "electricity-meter",
    "water": "water-meter",
    "gas": "gas-meter",
}


def registry_rows(
    session: Session, principal: Principal, *, kind: str, org_id: int | None = None
) -> list[dict[str, Any]]:
    """The utility's in-use meters of ``kind`` from the registry, as meter-list rows.

    The register keeps no delivery batch or installation date: the month of the meter's last
    (first) verification stands for its batch and its year for the year of installation — meters
    are verified as a delivery before they are installed. Missing maker or model read as ``—``.
    """
    from jiliang.registry.models import Instrument, InstrumentType

    org = _org_for(session, principal, org_id)
    if kind not in REGISTRY_TYPES:
        raise InputError(f"kind {kind[:20]!r} is not one of {', '.join(REGISTRY_TYPES)}")
    q = (
        select(Instrument.serial, Instrument.manufacturer, Instrument.model, Instrument.last_verified_on)
        .join(InstrumentType, InstrumentType.id == Instrument.type_id)
        .where(
            Instrument.owner_id == org,
            InstrumentType.code == REGISTRY_TYPES[kind],
            Instrument.status == "in_use",
            Instrument.last_verified_on.is_not(None),
        )
    )
    rows = [
        {"meter_no": serial, "kind": kind, "maker": (maker or "—")[:64], "model": (model or "—")[:64],
         "batch": f"{day:%Y-%m}", "install_year": day.year}
        for serial, maker, model, day in session.execute(q)
    ]  # fmt: skip
    if not rows:
        raise InputError(
            f"the register holds no in-use {kind} meters with a verification date for this utility",
            code="lot_no_registry_meters",
        )
    return [_row(r, i) for i, r in enumerate(rows, start=1)]


def utilities(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The utilities whose in-use meters (with a verification date) the registry holds, with the
    count of each kind: all of them for the regulator, the caller's own organization otherwise."""
    from sqlalchemy import func

    from jiliang.registry.models import Instrument, InstrumentType

    principal.require(Role.REGULATOR, Role.ENTERPRISE)
    kind_of = {code: kind for kind, code in REGISTRY_TYPES.items()}
    q = (
        select(Organization.id, Organization.name, InstrumentType.code, func.count())
        .select_from(Instrument)
        .join(InstrumentType, InstrumentType.id == Instrument.type_id)
        .join(Organization, Organization.id == Instrument.owner_id)
        .where(
            InstrumentType.code.in_(list(kind_of)),
            Instrument.status == "in_use",
            Instrument.last_verified_on.is_not(None),
            Organization.kind == OrgKind.UTILITY.value,
        )
        .group_by(Organization.id, Organization.name, InstrumentType.code)
    )
    if not principal.is_regulator:
        q = q.where(Instrument.owner_id == principal.org_id)
    found: dict[int, dict[str, Any]] = {}
    for org_id, name, code, n in session.execute(q):
        utility = found.setdefault(int(org_id), {"org_id": int(org_id), "name": name, "meters": {}})
        utility["meters"][kind_of[code]] = int(n)
    return sorted(found.values(), key=lambda u: str(u["name"]))


def _fleet(rows: Sequence[Mapping[str, Any]], org_id: int) -> core.MeterFleet:
    cols = {k: [str(r[k]) for r in rows] for k in COLUMNS if k != "install_year"}
    frame = pl.DataFrame(
        {
            **cols,
            "install_year": [int(r["install_year"]) for r in rows],
            "utility": [str(org_id)] * len(rows),
        },
        schema_overrides={"install_year": pl.Int64},
    )
    return core.MeterFleet(frame)


def _estimates(session: Session, org_id: int, run_id: int | None) -> tuple[int | None, dict[str, float]]:
    """Per meter P(nonconforming) from a stored estimation run (the utility's latest by default)."""
    from jiliang.meters.models import MeterEstimationRun, MeterResult

    q = select(MeterEstimationRun.id).where(MeterEstimationRun.org_id == org_id)
    if run_id is not None:
        q = q.where(MeterEstimationRun.id == run_id)
    rid = session.scalar(q.order_by(MeterEstimationRun.id.desc()).limit(1))
    if rid is None:
        if run_id is not None:
            raise NotFoundError(
                f"no estimation run {run_id} of this utility", code="lot_no_run", details={"run": run_id}
            )
        return None, {}
    rows = session.execute(
        select(
            MeterResult.meter_id, MeterResult.error_pct, MeterResult.u_error_pct, MeterResult.limit_pct
        ).where(
            MeterResult.run_id == rid,
            MeterResult.error_pct.is_not(None),
            MeterResult.u_error_pct.is_not(None),
            MeterResult.limit_pct.is_not(None),
        )
    ).all()
    if not rows:
        return rid, {}
    p = core.p_nonconforming([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    return rid, {str(r[0]): float(v) for r, v in zip(rows, p.tolist(), strict=True)}


def _instrument_keys(session: Session, org_id: int) -> dict[str, int]:
    """The utility's registered instruments by the identity form of their serial (one query for
    the whole forming, not one per lot)."""
    import importlib.util

    if importlib.util.find_spec("jiliang.registry.models") is None:
        return {}
    from jiliang.registry.models import Instrument

    q = select(Instrument.serial_key, Instrument.id).where(Instrument.owner_id == org_id)
    return {str(k): int(v) for k, v in session.execute(q)}


def _instrument_of(keys: Mapping[str, int], meter_no: str) -> int | None:
    """The registered instrument of a meter number. A number equal to a stored identity form is in
    that form already, and ASCII digits are their own form: only other numbers are folded."""
    if not keys:
        return None
    found = keys.get(meter_no)
    if found is None and not (meter_no.isascii() and meter_no.isdigit()):
        from jiliang.platform.cells import identity_text

        found = keys.get(identity_text(meter_no))
    return found


_CACHE_MIB = 64  # SQLite page cache while members are stored: the meter-number index of 10⁶ members fits
_MEMBER_COLUMNS = ("lot_id", "meter_no", "instrument_id", "p_nc")
_MEMBER_COPY = "COPY meter_lot_member (lot_id, meter_no, instrument_id, p_nc) FROM STDIN"
_MEMBER_INSERT = {
    "qmark": "INSERT INTO meter_lot_member (lot_id, meter_no, instrument_id, p_nc) VALUES (?, ?, ?, ?)",
    "format": "INSERT INTO meter_lot_member (lot_id, meter_no, instrument_id, p_nc) VALUES (%s, %s, %s, %s)",
    "pyformat": "INSERT INTO meter_lot_member (lot_id, meter_no, instrument_id, p_nc) VALUES (%s, %s, %s, %s)",
}


def _insert_members(session: Session, rows: list[tuple[int, str, int | None, float | None]]) -> None:
    """Insert a lot's members in one driver-level executemany (a million rows in seconds, where the
    ORM's bulk path spends most of its time building parameters); any other paramstyle goes
    through SQLAlchemy; on PostgreSQL with psycopg a ``COPY`` (a quarter of the client's time of an
    ``executemany``). The audit entry for the rows is written by the caller."""
    conn = session.connection()
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.driver == "psycopg" and raw is not None:
        with raw.cursor() as cursor, cursor.copy(_MEMBER_COPY) as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = _MEMBER_INSERT.get(str(conn.dialect.paramstyle))
    if sql is None:
        session.execute(insert(MeterLotMember), [dict(zip(_MEMBER_COLUMNS, r, strict=True)) for r in rows])
        return
    conn.exec_driver_sql(sql, rows)


def _member_rows(
    lot_id: int, meters: Sequence[str], p_by_meter: Mapping[str, float], instruments: Mapping[str, int]
) -> list[tuple[int, str, int | None, float | None]]:
    """A lot's member rows; without estimates or registered instruments no per-meter look-up."""
    if not p_by_meter and not instruments:
        return [(lot_id, m, None, None) for m in meters]
    return [(lot_id, m, _instrument_of(instruments, m), p_by_meter.get(m)) for m in meters]


def _label(org_id: int, rule_key: str, keys: Sequence[str], part: int) -> str:
    digest = hashlib.sha256("\x1f".join([str(org_id), rule_key, *keys, str(part)]).encode()).hexdigest()
    return f"{keys[4]}{keys[0][0].upper()}-{digest[:10].upper()}"


def form(
    session: Session,
    principal: Principal,
    *,
    rule_key: str,
    rows: Sequence[Mapping[str, Any]],
    org_id: int | None = None,
    run_id: int | None = None,
) -> list[MeterLot]:
    """Form the rule's lots from a meter list, with the pre-sampling estimate of each lot."""
    org = _org_for(session, principal, org_id)
    rule = load_rule(rule_key)
    for k in {str(r["kind"]) for r in rows} - set(rule.meter_kinds):
        raise InputError(
            f"{rule.code} covers {', '.join(rule.meter_kinds)} meters, not {k}",
            code="lot_rule_kind",
            details={"rule": rule.code},
        )
    fleet = _fleet(rows, org)
    formed = core.form_lots(fleet, rule)
    if not len(formed.sizes):
        raise InputError(
            f"no group of meters reaches the minimum lot size {rule.min_size} of {rule.code}",
            code="lot_none_formed",
            details={"min": rule.min_size, "rule": rule.code},
        )
    rid, p_by_meter = _estimates(session, org, run_id)
    members = formed.all_members(fleet)
    lots = [
        _new_lot(principal, rule, (members[j], formed, j), org, rid, p_by_meter)
        for j in range(len(formed.sizes))
    ]
    _store_lots(session, lots, members, p_by_meter, _instrument_keys(session, org))
    return lots


def _new_lot(
    principal: Principal,
    rule: core.LotRule,
    part_of: tuple[list[str], core.LotFormation, int],
    org: int,
    rid: int | None,
    p_by_meter: Mapping[str, float],
) -> MeterLot:
    """One formed lot with its plan and pre-sampling estimate (not yet in the session)."""
    members, formed, j = part_of
    keys, size, part = formed.keys[j], int(formed.sizes[j]), int(formed.part[j])
    plan = core.plan_for(rule, size)
    p_i = [p_by_meter[m] for m in members if m in p_by_meter]
    est = core.fraction_estimate(p_i, size)
    pass_p = core.pass_probability(plan, est)
    return MeterLot(
        org_id=org,
        rule_key=rule.key,
        label=_label(org, rule.key, keys, part),
        kind=keys[0],
        maker=keys[1],
        model=keys[2],
        batch=keys[3],
        install_year=int(keys[4]),
        part=part,
        size=size,
        n=plan.n,
        ac=plan.Ac,
        re=plan.Re,
        status="formed",
        p_est=_finite(est.p),
        u_p_est=_finite(est.u_p),
        m_est=est.m,
        pass_prob=_finite(pass_p),
        estimate_run_id=rid,
        sample=[],
        replacements=[],
        created_by=principal.actor[:64],
    )


def _refuse_formed(session: Session, lots: Sequence[MeterLot]) -> None:
    """A lot formed already (same utility, rule, keys and part) is not formed twice."""
    labels = [lot.label for lot in lots]
    seen: set[str] = set()
    for i in range(0, len(labels), 500):
        seen.update(session.scalars(select(MeterLot.label).where(MeterLot.label.in_(labels[i : i + 500]))))
    for lot in lots:
        if lot.label in seen:
            keys = (lot.kind, lot.maker, lot.model, lot.batch, str(lot.install_year))
            raise ConflictError(
                f"lot {lot.label} ({', '.join(keys)}) was formed already",
                code="lot_formed_already",
                details={"label": lot.label},
            )


def _store_lots(
    session: Session,
    lots: Sequence[MeterLot],
    members: Sequence[list[str]],
    p_by_meter: Mapping[str, float],
    instruments: Mapping[str, int],
) -> None:
    """The lots in one flush, their members in one insert per lot (with a page cache to match on
    SQLite), one audit entry per lot's members."""
    _refuse_formed(session, lots)
    session.add_all(lots)
    session.flush()
    with sqlite_page_cache(session.connection(), _CACHE_MIB):
        for lot, ms in zip(lots, members, strict=True):
            _insert_members(session, _member_rows(lot.id, ms, p_by_meter, instruments))
    record(
        session,
        [
            AuditChange(
                "insert", "meter_lot_member", str(lot.id), after={"rows": len(ms)}, note="members of the lot"
            )
            for lot, ms in zip(lots, members, strict=True)
        ],
    )


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------ draw, results


_MEMBERS_OF = {
    "qmark": "SELECT meter_no, instrument_id FROM meter_lot_member WHERE lot_id = ?",
    "format": "SELECT meter_no, instrument_id FROM meter_lot_member WHERE lot_id = %s",
    "pyformat": "SELECT meter_no, instrument_id FROM meter_lot_member WHERE lot_id = %s",
}


def _members(session: Session, lot: MeterLot) -> tuple[list[str], dict[str, int]]:
    """The lot's meter numbers, and the registered instrument of those that have one (read at the
    driver: a lot may hold tens of thousands)."""
    conn = session.connection()
    sql = _MEMBERS_OF.get(str(conn.dialect.paramstyle))
    raw = conn.connection.dbapi_connection
    if sql is None or raw is None:
        q = select(MeterLotMember.meter_no, MeterLotMember.instrument_id).where(
            MeterLotMember.lot_id == lot.id
        )
        rows: list[Any] = list(session.execute(q).tuples())
    else:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, (lot.id,))
            rows = list(cursor.fetchall())
        finally:
            cursor.close()
    return [str(r[0]) for r in rows], {str(r[0]): int(r[1]) for r in rows if r[1] is not None}


def _plan(lot: MeterLot) -> core.SamplingPlan:
    rule = load_rule(lot.rule_key)
    return core.SamplingPlan(
        lot.size, lot.n, lot.ac, lot.re, rule.lq_pct, rule.clauses["plan"], rule.verified["plan"]
    )


def _source(lot: MeterLot) -> str:
    return f"meter lot {lot.label}"[:64]


def draw(session: Session, principal: Principal, lot_id: int, seed: int | None = None) -> MeterLot:
    """The regulator draws the lot's sample from a recorded seed (given, or drawn by the platform's
    CSPRNG and recorded); a field-check work order is attached to each sampled registry meter."""
    lot = _lot(session, principal, lot_id)
    principal.require(Role.REGULATOR)
    _move(lot, "sampled")
    seed = secrets.randbits(62) if seed is None else seed
    members, instruments = _members(session, lot)
    d = core.draw_sample(members, _plan(lot), seed)
    lot.seed, lot.members_sha256, lot.sample, lot.replacements = (
        str(seed),
        d.members_sha256,
        list(d.sample),
        [],
    )
    _orders(session, lot, d.sample, instruments)
    session.flush()
    return lot


def _orders(session: Session, lot: MeterLot, meters: Sequence[str], instruments: Mapping[str, int]) -> None:
    """A field-check work order for each of ``meters`` that is a registered instrument."""
    rows = sorted((m, instruments[m]) for m in set(meters) if m in instruments)
    if not rows:
        return
    from jiliang.registry.service import add_work_order

    for meter_no, inst in rows:
        add_work_order(
            session,
            inst,
            "field_check",
            note=f"lot sample: {meter_no} ({lot.label})",
            source=_source(lot),
        )


@dataclass(frozen=True, slots=True)
class ResultEntry:
    """One field result of a sampled meter: outcome and, where measured, the error in percent."""

    meter_no: str
    outcome: str
    error_pct: float | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise InputError(
                f"outcome {self.outcome[:20]!r} is not one of {', '.join(OUTCOMES)}", code="lot_bad_outcome"
            )
        if self.error_pct is not None and not (math.isfinite(self.error_pct) and abs(self.error_pct) <= 100):
            raise InputError(
                f"meter {self.meter_no[:40]!r}: error {self.error_pct!r} % must be finite, |e| ≤ 100",
                code="lot_bad_error",
            )
        if not _TEXT.fullmatch(self.meter_no):
            raise InputError(
                f"meter number {self.meter_no[:40]!r} is not a meter number", code="lot_bad_meter_no"
            )


def record_results(
    session: Session, principal: Principal, lot_id: int, entries: Sequence[ResultEntry]
) -> MeterLot:
    """Record field results of sampled meters (the utility on its own lots, or the regulator); an
    inaccessible meter is replaced by the next accessible meter of the seeded permutation."""
    lot = _lot(session, principal, lot_id)
    if lot.status != "sampled":
        raise ConflictError(
            f"lot {lot.label} is {lot.status}; results are recorded while it is sampled",
            code="lot_state",
            details={"label": lot.label},
        )
    if not entries:
        raise InputError("no results", code="lot_no_results")
    done = set(session.scalars(select(MeterLotResult.meter_no).where(MeterLotResult.lot_id == lot.id)))
    seen: set[str] = set()
    for e in entries:
        if e.meter_no not in lot.sample or e.meter_no in seen:
            raise InputError(
                f"meter {e.meter_no!r} is not in the lot's sample (or is listed twice)",
                code="lot_not_in_sample",
                details={"meter": e.meter_no},
            )
        if e.meter_no in done:
            raise ConflictError(
                f"meter {e.meter_no!r}: a result is recorded already",
                code="lot_result_exists",
                details={"meter": e.meter_no},
            )
        seen.add(e.meter_no)
    orders = _close_orders(session, lot, entries)
    for e in entries:
        session.add(
            MeterLotResult(
                lot_id=lot.id,
                meter_no=e.meter_no,
                outcome=e.outcome,
                error_pct=e.error_pct,
                source=orders.get(e.meter_no, "entered"),
                recorded_by=principal.actor[:64],
            )
        )
    _replace(session, lot, [e.meter_no for e in entries if e.outcome == "inaccessible"])
    session.flush()
    return lot


def _replace(session: Session, lot: MeterLot, new_gone: Sequence[str]) -> None:
    if not new_gone:
        return
    rule = load_rule(lot.rule_key)
    gone = list(
        session.scalars(
            select(MeterLotResult.meter_no).where(
                MeterLotResult.lot_id == lot.id, MeterLotResult.outcome == "inaccessible"
            )
        )
    )
    members, instruments = _members(session, lot)
    d = core.draw_sample(members, _plan(lot), int(lot.seed or 0))
    sample, reps = core.apply_replacements(d, sorted(set(gone) | set(new_gone)), rule.replacement_allowed)
    added = [m for m in sample if m not in lot.sample]
    lot.sample = list(sample)
    lot.replacements = [{"out": r.out, "in": r.into, "clause": rule.clauses["replacement"]} for r in reps]
    _orders(session, lot, added, instruments)


def _close_orders(session: Session, lot: MeterLot, entries: Sequence[ResultEntry]) -> dict[str, str]:
    """Close the open field-check orders of the recorded meters; their ids become the source."""
    import importlib.util

    if importlib.util.find_spec("jiliang.registry.models") is None:
        return {}
    from jiliang.registry.models import WorkOrder

    by_meter = {e.meter_no: e for e in entries}
    q = (
        select(MeterLotMember.meter_no, WorkOrder)
        .join(WorkOrder, WorkOrder.instrument_id == MeterLotMember.instrument_id)
        .where(
            MeterLotMember.lot_id == lot.id,
            MeterLotMember.meter_no.in_(list(by_meter)),
            WorkOrder.source == _source(lot),
            WorkOrder.status == "open",
        )
    )
    out: dict[str, str] = {}
    for meter_no, wo in session.execute(q).all():
        e = by_meter[meter_no]
        err = "" if e.error_pct is None else f", error {e.error_pct:+.2f} %"
        wo.status, wo.note = "done", f"{wo.note or ''} — result: {e.outcome}{err}"[:2000]
        out[meter_no] = f"work order {wo.id}"
    return out


# ------------------------------------------------------------------ decide, publish


def decide(session: Session, principal: Principal, lot_id: int, now: datetime) -> MeterLot:
    """The regulator's decision from the sample results (GB/T 2828.2-style Ac/Re, the rule's clause)."""
    lot = _lot(session, principal, lot_id)
    principal.require(Role.REGULATOR)
    if lot.status != "sampled":
        raise ConflictError(
            f"lot {lot.label} is {lot.status}; only a sampled lot is decided",
            code="lot_state",
            details={"label": lot.label},
        )
    rows = session.execute(
        select(MeterLotResult.meter_no, MeterLotResult.outcome).where(MeterLotResult.lot_id == lot.id)
    ).all()
    res = {m: o for m, o in rows if m in lot.sample and o != "inaccessible"}
    d = sum(1 for o in res.values() if o == "nonconforming")
    dec = core.decide_lot(load_rule(lot.rule_key), _plan(lot), len(res), d)
    if dec.decision == "pending":
        raise InputError(
            f"sample incomplete: {len(res)} of {lot.n} meters tested, {d} nonconforming (Re = {lot.re})",
            code="lot_sample_incomplete",
            details={"tested": len(res), "n": lot.n, "d": d, "re": lot.re},
        )
    _move(lot, "decided")
    lot.decision, lot.extend_years, lot.nonconforming, lot.clause = (
        dec.decision,
        dec.years or None,
        d,
        dec.clause[:300],
    )
    lot.decided_by, lot.decided_at = principal.actor[:64], now
    session.flush()
    return lot


def publish(session: Session, principal: Principal, lot_id: int, now: datetime) -> MeterLot:
    """Publish a decided lot: its decision becomes visible on the public lookup by meter number."""
    lot = _lot(session, principal, lot_id)
    principal.require(Role.REGULATOR)
    _move(lot, "published")
    lot.published_at = now
    session.flush()
    return lot


# ------------------------------------------------------------------ reading


def list_lots(
    session: Session, principal: Principal, status: str | None = None, limit: int = 200
) -> list[MeterLot]:
    """Lots the caller may see, newest first."""
    principal.require(Role.REGULATOR, Role.ENTERPRISE)
    q = select(MeterLot).order_by(MeterLot.id.desc()).limit(limit)
    if not principal.is_regulator:
        q = q.where(MeterLot.org_id == principal.org_id)
    if status:
        if status not in TRANSITIONS:
            raise InputError(f"status {status[:20]!r} is not one of {', '.join(TRANSITIONS)}")
        q = q.where(MeterLot.status == status)
    return list(session.scalars(q))


@dataclass(frozen=True, slots=True)
class LotView:
    """A lot with its rule, sample rows (meter, order, result) and what the caller may do."""

    lot: MeterLot
    rule: Mapping[str, Any]
    sample: list[dict[str, Any]]
    tested: int
    d: int
    actions: tuple[str, ...]


def lot_view(session: Session, principal: Principal, lot_id: int) -> LotView:
    lot = _lot(session, principal, lot_id)
    results = {
        r.meter_no: r for r in session.scalars(select(MeterLotResult).where(MeterLotResult.lot_id == lot.id))
    }
    p: dict[str, float | None] = dict(
        session.execute(  # type: ignore[arg-type]
            select(MeterLotMember.meter_no, MeterLotMember.p_nc).where(
                MeterLotMember.lot_id == lot.id, MeterLotMember.meter_no.in_(list(lot.sample) + list(results))
            )
        ).all()
    )
    rows = []
    for i, m in enumerate([*lot.sample, *[m for m in results if m not in lot.sample]], start=1):
        r = results.get(m)
        rows.append(
            {
                "pos": i,
                "meter_no": m,
                "in_sample": m in lot.sample,
                "p_nc": p.get(m),
                "outcome": r.outcome if r else None,
                "error_pct": r.error_pct if r else None,
                "source": r.source if r else None,
            }
        )
    tested = sum(1 for r in rows if r["in_sample"] and r["outcome"] in ("conforming", "nonconforming"))
    d = sum(1 for r in rows if r["in_sample"] and r["outcome"] == "nonconforming")
    return LotView(lot, rule_data(lot.rule_key), rows, tested, d, _actions(principal, lot))


def _actions(principal: Principal, lot: MeterLot) -> tuple[str, ...]:
    acts: list[str] = []
    if principal.is_regulator:
        acts += {"formed": ["draw"], "sampled": ["record", "decide"], "decided": ["publish"]}.get(
            lot.status, []
        )
    elif lot.status == "sampled":
        acts.append("record")
    return tuple(acts)


def lookup_meter(session: Session, meter_no: str) -> list[dict[str, Any]]:
    """Published lots holding the meter (public): lot, rule, decision, years, clause, date."""
    m = meter_no.strip()
    if not _TEXT.fullmatch(m):
        raise InputError(f"meter number {meter_no[:40]!r} is not a meter number", code="lot_bad_meter_no")
    q = (
        select(MeterLot, Organization.name)
        .join(MeterLotMember, MeterLotMember.lot_id == MeterLot.id)
        .join(Organization, Organization.id == MeterLot.org_id)
        .where(MeterLotMember.meter_no == m, MeterLot.status == "published")
        .order_by(MeterLot.published_at.desc())
    )
    return [
        {
            "meter_no": m,
            "lot": lot.label,
            "utility": org,
            "rule": rule_data(lot.rule_key)["code"],
            "kind": lot.kind,
            "maker": lot.maker,
            "model": lot.model,
            "install_year": lot.install_year,
            "decision": lot.decision,
            "extend_years": lot.extend_years,
            "clause": lot.clause,
            "published_on": lot.published_at.date().isoformat() if lot.published_at else None,
        }
        for lot, org in session.execute(q).all()
    ]


def parse_results_csv(text: str) -> list[ResultEntry]:
    """Field results from a CSV with the columns ``meter_no, outcome`` and optionally
    ``error_pct``; the first bad row stops the import with its line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"meter_no", "outcome"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(
            f"results: missing columns {', '.join(sorted(missing))}",
            code="lot_csv_columns",
            details={"columns": ", ".join(sorted(missing))},
        )
    out: list[ResultEntry] = []
    try:
        for i, raw in enumerate(reader, start=2):
            if len(out) >= 10_000 or None in raw:
                raise InputError(
                    f"line {i}: more cells than columns, or more than 10000 results",
                    code="lot_csv_row",
                    details={"line": i},
                )
            err = (raw.get("error_pct") or "").strip()
            try:
                value = float(err) if err else None
            except ValueError:
                raise InputError(
                    f"line {i}: error_pct {err[:20]!r} is not a number",
                    code="lot_csv_row",
                    details={"line": i},
                ) from None
            try:
                out.append(
                    ResultEntry(str(raw["meter_no"] or "").strip(), str(raw["outcome"] or "").strip(), value)
                )
            except InputError as exc:
                raise InputError(
                    f"line {i}: {exc.message}", code="lot_csv_row", details={"line": i}
                ) from None
    except csv.Error as exc:
        raise InputError(f"results: malformed CSV ({exc})", code="lot_csv_malformed") from None
    if not out:
        raise InputError("results: no rows", code="lot_csv_empty")
    return out


def lot_dict(lot: MeterLot) -> dict[str, Any]:
    """A lot as plain data (API and CLI answers)."""
    rule = rule_data(lot.rule_key)
    return {
        "id": lot.id,
        "label": lot.label,
        "org_id": lot.org_id,
        "rule": lot.rule_key,
        "rule_code": rule["code"],
        "plan_verified": rule["plan"]["verified"],
        "kind": lot.kind,
        "maker": lot.maker,
        "model": lot.model,
        "batch": lot.batch,
        "install_year": lot.install_year,
        "part": lot.part,
        "N": lot.size,
        "n": lot.n,
        "Ac": lot.ac,
        "Re": lot.re,
        "status": lot.status,
        "p_est": lot.p_est,
        "u_p_est": lot.u_p_est,
        "m_est": lot.m_est,
        "pass_probability": lot.pass_prob,
        "estimate_run_id": lot.estimate_run_id,
        "seed": lot.seed,
        "members_sha256": lot.members_sha256,
        "sample": list(lot.sample),
        "replacements": list(lot.replacements),
        "decision": lot.decision,
        "extend_years": lot.extend_years,
        "nonconforming": lot.nonconforming,
        "clause": lot.clause,
        "decided_by": lot.decided_by,
        "decided_at": lot.decided_at.isoformat() if lot.decided_at else None,
        "published_at": lot.published_at.isoformat() if lot.published_at else None,
    }
