"""Comparison rounds: create, submit results, close, evaluate with the pilot's estimator, publish.

States and transitions are data (:data:`TRANSITIONS`). Results are hidden from other labs while the
round is open: a lab sees only its own; the pilot sees who has submitted; the regulator sees all.
Every change runs in the caller's transaction and is audited (the tables are ``Audited``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jiliang.comparisons.files import evaluation_json
from jiliang.comparisons.models import ComparisonParticipant, ComparisonRound, ComparisonSubmission
from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, OrgKind, Role

__all__ = [
    "LAB_KINDS",
    "TRANSITIONS",
    "RoundView",
    "close_round",
    "count_rounds",
    "create_round",
    "evaluate_round",
    "get_round",
    "lab_results",
    "list_labs",
    "list_rounds",
    "publish_round",
    "round_view",
    "submit_result",
]

#: The life of a round; the service refuses any other move.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"closed"}),
    "closed": frozenset({"published"}),
    "published": frozenset(),
}
#: Organizations that may take part in or pilot a round.
LAB_KINDS = frozenset({OrgKind.LAB.value, OrgKind.INSTITUTE.value})


def _move(rnd: ComparisonRound, to: str) -> None:
    if to not in TRANSITIONS[rnd.state]:
        raise ConflictError(f"round {rnd.code} is {rnd.state}: cannot become {to}")
    rnd.state = to


def _labs(session: Session, org_ids: Sequence[int]) -> list[Organization]:
    orgs = list(session.scalars(select(Organization).where(Organization.id.in_(set(org_ids)))))
    found = {o.id for o in orgs}
    missing = sorted(set(org_ids) - found)
    if missing:
        raise InputError(f"unknown organization(s): {', '.join(map(str, missing))}")
    not_labs = [o.name for o in orgs if o.kind not in LAB_KINDS]
    if not_labs:
        raise InputError(f"not a lab or institute: {', '.join(not_labs)}")
    return orgs


def create_round(
    session: Session,
    principal: Principal,
    *,
    code: str,
    measurand: str,
    unit: str,
    participant_org_ids: Sequence[int],
    now: datetime,
    pilot_org_id: int | None = None,
) -> ComparisonRound:
    """A lab or the institute creates a round it pilots; the regulator may name the pilot."""
    principal.require(Role.LAB, Role.REGULATOR)
    pilot = pilot_org_id if principal.is_regulator and pilot_org_id is not None else principal.org_id
    if pilot is None:
        raise InputError("a round needs a pilot lab")
    code, measurand, unit = code.strip(), measurand.strip(), unit.strip()
    if not (0 < len(code) <= 64 and 0 < len(measurand) <= 300 and 0 < len(unit) <= 40):
        raise InputError("code (1–64), measurand (1–300) and unit (1–40 characters) are required")
    if session.scalar(select(ComparisonRound.id).where(ComparisonRound.code == code)) is not None:
        raise ConflictError(f"a round with code {code} exists")
    ids = sorted(set(participant_org_ids) | {pilot})
    if len(ids) < 2:
        raise InputError("a round needs at least 2 participating labs")
    _labs(session, ids)
    rnd = ComparisonRound(
        code=code,
        measurand=measurand,
        unit=unit,
        pilot_org_id=pilot,
        state="open",
        excluded="",
        created_at=now,
    )
    session.add(rnd)
    session.flush()
    for org_id in ids:
        session.add(ComparisonParticipant(round_id=rnd.id, org_id=org_id))
    session.flush()
    return rnd


def list_labs(session: Session) -> list[tuple[int, str]]:
    """Labs and institutes that may take part in a round: (organization id, name)."""
    stmt = (
        select(Organization.id, Organization.name)
        .where(Organization.kind.in_(LAB_KINDS))
        .order_by(Organization.name)
    )
    return [(int(i), str(n)) for i, n in session.execute(stmt)]


def _participants(session: Session, round_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ComparisonParticipant.org_id).where(ComparisonParticipant.round_id == round_id)
        )
    )


def list_rounds(session: Session, principal: Principal) -> list[ComparisonRound]:
    """Rounds the caller may see: the regulator all; a lab those it pilots or joins; published to all users."""
    if principal.is_anonymous:
        return []
    stmt = select(ComparisonRound)
    if not principal.is_regulator:
        joined = select(ComparisonParticipant.round_id).where(
            ComparisonParticipant.org_id == principal.org_id
        )
        stmt = stmt.where(or_(ComparisonRound.id.in_(joined), ComparisonRound.state == "published"))
    return list(session.scalars(stmt.order_by(ComparisonRound.created_at.desc(), ComparisonRound.id.desc())))


def count_rounds(session: Session, since: date, on: date) -> int:
    """Rounds created from ``since`` to ``on`` inclusive (UTC days): one count, for the indicators."""
    start = datetime.combine(since, time(), UTC)
    end = datetime.combine(on + timedelta(days=1), time(), UTC)
    stmt = select(func.count()).where(ComparisonRound.created_at >= start, ComparisonRound.created_at < end)
    return int(session.scalar(stmt) or 0)


def get_round(session: Session, principal: Principal, round_id: int) -> ComparisonRound:
    rnd = session.get(ComparisonRound, round_id)
    if rnd is None or principal.is_anonymous:
        raise NotFoundError(f"round {round_id} not found")
    if not (
        principal.is_regulator
        or rnd.state == "published"
        or principal.org_id in _participants(session, rnd.id)
    ):
        raise NotFoundError(f"round {round_id} not found")
    return rnd


def _is_pilot(principal: Principal, rnd: ComparisonRound) -> bool:
    return principal.is_regulator or (principal.org_id is not None and principal.org_id == rnd.pilot_org_id)


def submit_result(
    session: Session,
    principal: Principal,
    round_id: int,
    *,
    value: float,
    U: float,
    k: float,
    dof: float | None,
    now: datetime,
) -> ComparisonSubmission:
    """A participant lab submits (or replaces, while open) its value, U, k and ν."""
    principal.require(Role.LAB)
    rnd = get_round(session, principal, round_id)
    if rnd.state != "open":
        raise ConflictError(f"round {rnd.code} is {rnd.state}: results are no longer accepted")
    if principal.org_id not in _participants(session, rnd.id):
        raise PermissionDeniedError("your lab does not take part in this round")
    for name, v in (("value", value), ("U", U), ("k", k)):
        if not math.isfinite(v):
            raise InputError(f"{name} {v} is not a finite number")
    if not U > 0 or not k > 0:
        raise InputError(f"U = {U} and k = {k} must be positive")
    if dof is not None and not dof > 0:
        raise InputError(f"degrees of freedom {dof} must be positive")
    sub = session.scalar(
        select(ComparisonSubmission).where(
            ComparisonSubmission.round_id == rnd.id, ComparisonSubmission.org_id == principal.org_id
        )
    )
    if sub is None:
        sub = ComparisonSubmission(round_id=rnd.id, org_id=principal.org_id)
        session.add(sub)
    sub.value, sub.U, sub.k, sub.dof = value, U, k, dof
    sub.submitted_by, sub.submitted_at = principal.user_id, now  # type: ignore[assignment]
    session.flush()
    return sub


def close_round(session: Session, principal: Principal, round_id: int, now: datetime) -> ComparisonRound:
    """The pilot (or the regulator) closes the round: results become visible to the participants."""
    rnd = get_round(session, principal, round_id)
    if not _is_pilot(principal, rnd):
        raise PermissionDeniedError("only the pilot lab closes a round")
    _move(rnd, "closed")
    rnd.closed_at = now
    session.flush()
    return rnd


def _names(session: Session, org_ids: Sequence[int]) -> dict[int, str]:
    return {
        o.id: o.name for o in session.scalars(select(Organization).where(Organization.id.in_(set(org_ids))))
    }


def lab_results(session: Session, rnd: ComparisonRound, excluded: Sequence[str] = ()) -> Any:
    """The submissions as :class:`jiliang.stats.LabResults` (u = U/k), lab names as identifiers."""
    from jiliang.stats import LabResults

    subs = list(
        session.scalars(
            select(ComparisonSubmission)
            .where(ComparisonSubmission.round_id == rnd.id)
            .order_by(ComparisonSubmission.org_id)
        )
    )
    names = _names(session, [s.org_id for s in subs])
    labs = [names[s.org_id] for s in subs]
    data = LabResults.of(
        labs,
        [s.value for s in subs],
        [s.U / s.k for s in subs],
        [s.dof if s.dof is not None else math.inf for s in subs],
    )
    return data.excluding(list(excluded)) if excluded else data


def evaluate_round(
    session: Session,
    principal: Principal,
    round_id: int,
    estimator: str,
    *,
    seed: int = 1,
    excluded: Sequence[str] = (),
) -> dict[str, Any]:
    """Evaluate a closed round with an estimator (the pilot's preview); nothing is stored."""
    import numpy as np

    from jiliang.stats import choose_model, evaluate_comparison

    rnd = get_round(session, principal, round_id)
    if not _is_pilot(principal, rnd):
        raise PermissionDeniedError("only the pilot lab evaluates a round")
    if rnd.state == "open":
        raise ConflictError(f"round {rnd.code} is open: close it before evaluating")
    data = lab_results(session, rnd, excluded)
    ev = evaluate_comparison(data, estimator, rng=np.random.default_rng(seed))
    return evaluation_json(ev, choose_model(data), seed if estimator == "linear_pool" else None)


def publish_round(
    session: Session,
    principal: Principal,
    round_id: int,
    estimator: str,
    now: datetime,
    *,
    seed: int = 1,
    excluded: Sequence[str] = (),
) -> ComparisonRound:
    """The pilot chooses the estimator; the evaluation is stored and the round becomes published."""
    doc = evaluate_round(session, principal, round_id, estimator, seed=seed, excluded=excluded)
    rnd = get_round(session, principal, round_id)
    _move(rnd, "published")
    rnd.estimator, rnd.seed, rnd.excluded = estimator, seed, ",".join(excluded)
    rnd.result_json = json.dumps(doc, ensure_ascii=False)
    rnd.published_at = now
    session.flush()
    return rnd


@dataclass(frozen=True, slots=True)
class RoundView:
    """What the caller may see of a round: participants, visible results, the published report."""

    round: ComparisonRound
    pilot: str
    participants: tuple[tuple[int, str, bool], ...]
    results: tuple[dict[str, Any], ...]
    report: dict[str, Any] | None
    is_pilot: bool
    may_submit: bool
    allowed: tuple[str, ...]


def round_view(session: Session, principal: Principal, round_id: int) -> RoundView:
    """The round as the caller may see it (results of other labs hidden while open)."""
    rnd = get_round(session, principal, round_id)
    parts = _participants(session, rnd.id)
    names = _names(session, [*parts, rnd.pilot_org_id])
    subs = list(session.scalars(select(ComparisonSubmission).where(ComparisonSubmission.round_id == rnd.id)))
    submitted = {s.org_id for s in subs}
    see_all = rnd.state != "open" or principal.is_regulator
    visible = [s for s in subs if see_all or s.org_id == principal.org_id]
    results = tuple(
        {
            "lab": names.get(s.org_id, str(s.org_id)),
            "org_id": s.org_id,
            "value": s.value,
            "U": s.U,
            "k": s.k,
            "u": s.U / s.k,
            "dof": s.dof,
            "submitted_at": s.submitted_at,
        }
        for s in sorted(visible, key=lambda s: s.org_id)
    )
    pilot = _is_pilot(principal, rnd)
    return RoundView(
        rnd,
        names.get(rnd.pilot_org_id, ""),
        tuple((o, names.get(o, str(o)), o in submitted) for o in sorted(parts)),
        results,
        json.loads(rnd.result_json) if rnd.result_json else None,
        pilot,
        rnd.state == "open" and principal.role is Role.LAB and principal.org_id in parts,
        tuple(sorted(TRANSITIONS[rnd.state])) if pilot else (),
    )
