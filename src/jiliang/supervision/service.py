"""Inspection plans, draws and tasks (双随机、一公开): one function per operation.

A plan lives through ``draft → committed → drawn → published``. Committing freezes the target and
inspector lists and publishes the seed commitment; the draw reveals the seed and stores the record;
a draw is only ever replaced by discarding it with a reason (kept, audited), which sends the plan
back to draft. Tasks live through ``assigned → passed | rectify | failed`` and ``rectify → closed |
failed``. Every change is one transaction, audited with the acting user by the session.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, InputError, NotFoundError
from jiliang.platform.auth import Principal
from jiliang.platform.models import District, Organization, OrgKind, Role, User
from jiliang.stats.draw import (
    INSPECTOR_COLUMNS,
    TARGET_COLUMNS,
    Inspector,
    Target,
    digest_inspectors,
    digest_policy,
    digest_targets,
    draw,
    parse_inspectors_csv,
    parse_seed,
    parse_targets_csv,
)
from jiliang.supervision.models import (
    CommitmentStatus,
    CreditClass,
    DrawRow,
    InspectionPlan,
    InspectionTask,
    IntegrityCommitment,
    PlanStatus,
    TaskStatus,
)
from jiliang.supervision.planfile import policy_from_mapping

__all__ = [
    "FINDING_KINDS",
    "PLAN_TRANSITIONS",
    "PUBLIC_STATES",
    "SCOPES",
    "TASK_TRANSITIONS",
    "PlanView",
    "commit_plan",
    "create_plan",
    "discard_draw",
    "get_plan",
    "get_task",
    "input_digests",
    "list_plans",
    "my_tasks",
    "plan_file",
    "plan_view",
    "publish_plan",
    "record_result",
    "run_draw",
]

#: Plan scopes and the kinds of organization each draws its targets from.
SCOPES: dict[str, tuple[str, ...]] = {
    "fuel_dispensers": (OrgKind.FUEL_STATION.value,),
    "market_scales": (OrgKind.MARKET.value,),
    "instruments_in_use": (
        OrgKind.FACTORY.value,
        OrgKind.HOSPITAL.value,
        OrgKind.FUEL_STATION.value,
        OrgKind.MARKET.value,
        OrgKind.CHARGING.value,
        OrgKind.TAXI.value,
    ),
    "net_content": (OrgKind.FACTORY.value,),
    "meters": (OrgKind.UTILITY.value, OrgKind.CHARGING.value),
}
FINDING_KINDS = ("overdue", "seal_broken", "error_found", "cheating", "other")
PLAN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PlanStatus.DRAFT: (PlanStatus.COMMITTED,),
    PlanStatus.COMMITTED: (PlanStatus.DRAWN,),
    PlanStatus.DRAWN: (PlanStatus.PUBLISHED, PlanStatus.DRAFT),
    PlanStatus.PUBLISHED: (),
}
TASK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    TaskStatus.ASSIGNED: (TaskStatus.PASSED, TaskStatus.RECTIFY, TaskStatus.FAILED),
    TaskStatus.RECTIFY: (TaskStatus.CLOSED, TaskStatus.FAILED),
    TaskStatus.PASSED: (),
    TaskStatus.FAILED: (),
    TaskStatus.CLOSED: (),
}
#: The class of an organization no rule set has classified yet.
UNCLASSIFIED_CLASS = "B"


@dataclass(frozen=True, slots=True)
class PlanView:
    """A plan with its current draw record, discarded draws and tasks, as pages and the API show it."""

    plan: InspectionPlan
    record: dict[str, Any] | None
    discarded: list[dict[str, Any]]
    tasks: list[InspectionTask]


def _move(current: str, new: str, table: dict[str, tuple[str, ...]], what: str) -> str:
    if new not in table.get(current, ()):
        raise ConflictError(f"{what} is {current}; it cannot become {new}")
    return new


def _to_csv(rows: Sequence[dict[str, str]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _targets_for(session: Session, scope: str) -> list[Target]:
    kinds = SCOPES[scope]
    classes = dict(session.execute(select(CreditClass.org_id, CreditClass.credit_class)).tuples().all())
    districts = dict(session.execute(select(District.id, District.code)).tuples().all())
    rows = session.execute(
        select(Organization.id, Organization.name, Organization.kind, Organization.district_id).where(
            Organization.kind.in_(kinds)
        )
    )
    return [
        Target(
            str(oid),
            name,
            classes.get(oid, UNCLASSIFIED_CLASS),
            districts.get(did, "") if did else "",
            kind,
            str(oid),
        )
        for oid, name, kind, did in rows
    ]


def _targets_csv(targets: list[Target]) -> str:
    return _to_csv([t.as_row() for t in sorted(targets, key=lambda t: t.id)], TARGET_COLUMNS)


def _refresh_targets(session: Session, plan: InspectionPlan) -> None:
    """Take the scope's organizations and their classes as they are now (at commit)."""
    targets = _targets_for(session, plan.scope)
    if not targets:
        raise InputError(f"no organization in scope {plan.scope} to draw from")
    missing = sorted({t.credit_class for t in targets} - set(plan.policy.get("ratios", {})))
    if missing:
        raise InputError(f"no ratio for credit class {', '.join(missing)}")
    plan.targets_csv = _targets_csv(targets)


def _default_inspectors(session: Session) -> list[Inspector]:
    districts = dict(session.execute(select(District.id, District.code)).tuples().all())
    org_district = dict(session.execute(select(Organization.id, Organization.district_id)).tuples().all())
    users = session.scalars(select(User).where(User.role == Role.REGULATOR.value, User.active.is_(True)))
    out = []
    for u in users:
        did = org_district.get(u.org_id) if u.org_id else None
        out.append(Inspector(u.username, u.display_name, districts.get(did, "") if did else ""))
    return out


def _require_regulator(principal: Principal) -> None:
    principal.require(Role.REGULATOR)


def create_plan(
    session: Session,
    principal: Principal,
    *,
    title: str,
    scope: str,
    year: int,
    policy: dict[str, Any],
    inspectors_csv: str | None = None,
) -> InspectionPlan:
    """A draft plan: targets from the registry's organizations of the scope, with their classes."""
    _require_regulator(principal)
    title = title.strip()
    if not title or len(title) > 200:
        raise InputError("a plan needs a title of 1 to 200 characters")
    if scope not in SCOPES:
        raise InputError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    parsed = policy_from_mapping(policy)
    targets = _targets_for(session, scope)
    inspectors = parse_inspectors_csv(inspectors_csv) if inspectors_csv else _default_inspectors(session)
    if not targets:
        raise InputError(f"no organization in scope {scope} to draw from")
    digest_targets(targets), digest_inspectors(inspectors)  # refuse duplicated ids now
    missing = sorted({t.credit_class for t in targets} - set(parsed.ratios))
    if missing:
        raise InputError(f"no ratio for credit class {', '.join(missing)}")
    if len(inspectors) < parsed.team_size:
        raise InputError(f"team_size {parsed.team_size} exceeds the {len(inspectors)} inspectors given")
    plan = InspectionPlan(
        title=title,
        scope=scope,
        year=year,
        policy=parsed.as_dict(),
        targets_csv=_targets_csv(targets),
        inspectors_csv=_to_csv(
            [i.as_row() for i in sorted(inspectors, key=lambda i: i.id)], INSPECTOR_COLUMNS
        ),
        created_by=principal.user_id,
    )
    session.add(plan)
    session.flush()
    return plan


#: States in which anyone sees a plan: from the published commitment on (a draft is internal).
PUBLIC_STATES = (PlanStatus.COMMITTED.value, PlanStatus.DRAWN.value, PlanStatus.PUBLISHED.value)


def get_plan(session: Session, principal: Principal, plan_id: int) -> InspectionPlan:
    """A plan; anyone sees it once its commitment is published, the regulator sees every plan."""
    plan = session.get(InspectionPlan, plan_id)
    if plan is None or (plan.status not in PUBLIC_STATES and not principal.is_regulator):
        raise NotFoundError(f"plan {plan_id} not found")
    return plan


def list_plans(session: Session, principal: Principal, limit: int = 200) -> list[InspectionPlan]:
    stmt = select(InspectionPlan).order_by(InspectionPlan.id.desc()).limit(limit)
    if not principal.is_regulator:
        stmt = stmt.where(InspectionPlan.status.in_(PUBLIC_STATES))
    return list(session.scalars(stmt))


def commit_plan(
    session: Session,
    principal: Principal,
    plan_id: int,
    now: datetime,
    seed_commitment: str | None = None,
    public_value: str | None = None,
) -> InspectionPlan:
    """Freeze the lists and publish the seed commitment.

    The targets are taken again from the registry at this moment, with their current credit
    classes, so that a plan sent back to draft by a discarded draw is committed on fresh lists.

    With ``seed_commitment`` the regulator keeps the seed outside the platform and reveals it at
    the draw; without, the platform draws a 256-bit secret seed and keeps it until the draw.
    """
    _require_regulator(principal)
    plan = get_plan(session, principal, plan_id)
    plan.status = _move(plan.status, PlanStatus.COMMITTED, PLAN_TRANSITIONS, f"plan {plan_id}")
    _refresh_targets(session, plan)
    if seed_commitment is not None:
        text = seed_commitment.strip().lower()
        if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
            raise InputError("the seed commitment must be a SHA-256 digest: 64 hex digits")
        plan.seed_commitment, plan.seed = text, None
    else:
        import hashlib

        seed = secrets.token_hex(32)
        plan.seed, plan.seed_commitment = seed, hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    plan.public_value = public_value.strip() if public_value and public_value.strip() else None
    plan.committed_at = now
    session.flush()
    return plan


def _current_draw(session: Session, plan_id: int) -> DrawRow | None:
    return session.scalar(
        select(DrawRow)
        .where(DrawRow.plan_id == plan_id, DrawRow.discarded.is_(False))
        .order_by(DrawRow.id.desc())
    )


def run_draw(
    session: Session, principal: Principal, plan_id: int, now: datetime, seed: str | None = None
) -> DrawRow:
    """Draw from the frozen lists, store the record and create one task per selected target."""
    import hashlib

    _require_regulator(principal)
    plan = get_plan(session, principal, plan_id)
    new_status = _move(plan.status, PlanStatus.DRAWN, PLAN_TRANSITIONS, f"plan {plan_id}")
    seed_hex = seed.strip().lower() if seed else plan.seed
    if seed_hex is None:
        raise InputError("reveal the seed whose SHA-256 was published as the commitment")
    if hashlib.sha256(parse_seed(seed_hex)).hexdigest() != plan.seed_commitment:
        raise InputError("the seed does not match the published commitment")
    targets = parse_targets_csv(plan.targets_csv)
    record = draw(
        targets,
        parse_inspectors_csv(plan.inspectors_csv),
        policy_from_mapping(plan.policy),
        seed_hex,
        plan.public_value,
    )
    row = DrawRow(
        plan_id=plan.id,
        record_json=record.to_json().decode("utf-8"),
        drawn_by=principal.user_id,
        drawn_at=now,
    )
    session.add(row)
    session.flush()
    names = {t.id: t for t in targets}
    for sel in record.selected:
        t = names[sel["target"]]
        session.add(
            InspectionTask(
                plan_id=plan.id,
                draw_id=row.id,
                org_id=int(t.owner_id) if t.owner_id.isdigit() else None,
                target_key=t.id,
                target_name=t.name,
                inspectors=list(sel["inspectors"]),
                findings=[],
            )
        )
    plan.seed, plan.status = seed_hex, new_status
    session.flush()
    return row


def discard_draw(session: Session, principal: Principal, plan_id: int, reason: str) -> DrawRow:
    """Mark the current draw discarded (kept with the reason); the plan goes back to draft.

    Refused once any task has a result: results are never thrown away.
    """
    _require_regulator(principal)
    reason = reason.strip()
    if len(reason) < 4 or len(reason) > 500:
        raise InputError("say why the draw is discarded (4 to 500 characters)")
    plan = get_plan(session, principal, plan_id)
    plan.status = _move(plan.status, PlanStatus.DRAFT, PLAN_TRANSITIONS, f"plan {plan_id}")
    row = _current_draw(session, plan_id)
    if row is None:
        raise ConflictError(f"plan {plan_id} has no draw to discard")
    tasks = list(session.scalars(select(InspectionTask).where(InspectionTask.draw_id == row.id)))
    if any(t.status != TaskStatus.ASSIGNED for t in tasks):
        raise ConflictError("results are recorded for this draw; it can no longer be discarded")
    for t in tasks:
        session.delete(t)
    row.discarded, row.discard_reason = True, reason
    plan.seed = plan.seed_commitment = plan.committed_at = None  # a new draw needs a new commitment
    session.flush()
    return row


def publish_plan(session: Session, principal: Principal, plan_id: int) -> InspectionPlan:
    _require_regulator(principal)
    plan = get_plan(session, principal, plan_id)
    plan.status = _move(plan.status, PlanStatus.PUBLISHED, PLAN_TRANSITIONS, f"plan {plan_id}")
    session.flush()
    return plan


def plan_view(session: Session, principal: Principal, plan_id: int) -> PlanView:
    """The plan with its record, discarded draws and tasks. Before publication others see only
    the plan, its commitment and its frozen lists: the seed and the draw come out with the results."""
    plan = get_plan(session, principal, plan_id)
    if plan.status != PlanStatus.PUBLISHED and not principal.is_regulator:
        return PlanView(plan, None, [], [])
    draws = list(session.scalars(select(DrawRow).where(DrawRow.plan_id == plan_id).order_by(DrawRow.id)))
    current = next((d for d in reversed(draws) if not d.discarded), None)
    discarded = [
        {"id": d.id, "reason": d.discard_reason, "drawn_at": d.drawn_at, "record": json.loads(d.record_json)}
        for d in draws
        if d.discarded
    ]
    tasks = list(
        session.scalars(
            select(InspectionTask).where(InspectionTask.plan_id == plan_id).order_by(InspectionTask.id)
        )
    )
    return PlanView(plan, json.loads(current.record_json) if current else None, discarded, tasks)


def _check_findings(findings: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for n, f in enumerate(findings, start=1):
        kind = str(f.get("kind", "")).strip()
        if kind not in FINDING_KINDS:
            raise InputError(f"finding {n}: kind must be one of {', '.join(FINDING_KINDS)}, not {kind!r}")
        out.append(
            {
                "kind": kind,
                "instrument": str(f.get("instrument", ""))[:100],
                "note": str(f.get("note", ""))[:500],
            }
        )
    return out


def get_task(session: Session, principal: Principal, task_id: int) -> InspectionTask:
    """One inspection task, for the regulator (404 when it does not exist)."""
    _require_regulator(principal)
    task = session.get(InspectionTask, task_id)
    if task is None:
        raise NotFoundError(f"task {task_id} not found")
    return task


def record_result(
    session: Session,
    principal: Principal,
    task_id: int,
    *,
    outcome: str,
    inspected_on: date,
    findings: Sequence[dict[str, Any]] = (),
    rectify_by: date | None = None,
    note: str | None = None,
) -> InspectionTask:
    """Record an inspection's result; findings break the organization's published commitment."""
    task = get_task(session, principal, task_id)
    if outcome not in {s.value for s in TaskStatus} - {TaskStatus.ASSIGNED.value}:
        raise InputError(f"outcome must be passed, rectify, failed or closed, not {outcome!r}")
    checked = _check_findings(findings)
    if outcome == TaskStatus.RECTIFY and rectify_by is None:
        raise InputError("a rectification needs a deadline (rectify_by)")
    if rectify_by is not None and rectify_by < inspected_on:
        raise InputError("the rectification deadline is before the inspection date")
    if outcome == TaskStatus.PASSED and checked:
        raise InputError("a passed inspection has no findings; choose rectify or failed")
    task.status = _move(task.status, outcome, TASK_TRANSITIONS, f"task {task_id}")
    task.findings = [*task.findings, *checked]
    task.inspected_on, task.rectify_by, task.note = inspected_on, rectify_by, note
    task.recorded_by = principal.user_id
    if checked and task.org_id is not None:
        _break_commitment(session, task)
    session.flush()
    return task


def _break_commitment(session: Session, task: InspectionTask) -> None:
    year = task.inspected_on.year if task.inspected_on else None
    commitment = session.scalar(
        select(IntegrityCommitment).where(
            IntegrityCommitment.org_id == task.org_id,
            IntegrityCommitment.year == year,
            IntegrityCommitment.status == CommitmentStatus.PUBLISHED.value,
        )
    )
    if commitment is not None:
        commitment.status, commitment.broken_by_task = CommitmentStatus.BROKEN.value, task.id


def my_tasks(session: Session, principal: Principal) -> list[InspectionTask]:
    """Inspections of the caller: an enterprise its own, an inspector those of its team."""
    if principal.is_anonymous:
        return []
    if principal.is_regulator:
        rows = session.scalars(select(InspectionTask).order_by(InspectionTask.id.desc()).limit(2000))
        return [t for t in rows if principal.username in t.inspectors]
    if principal.org_id is None:
        return []
    return list(
        session.scalars(
            select(InspectionTask)
            .where(InspectionTask.org_id == principal.org_id)
            .order_by(InspectionTask.id.desc())
        )
    )


def input_digests(plan: InspectionPlan) -> dict[str, str]:
    """SHA-256 of the canonical frozen lists and policy, published with the seed commitment."""
    return {
        "targets": digest_targets(parse_targets_csv(plan.targets_csv)),
        "inspectors": digest_inspectors(parse_inspectors_csv(plan.inspectors_csv)),
        "policy": digest_policy(policy_from_mapping(plan.policy)),
    }


def plan_file(session: Session, principal: Principal, plan_id: int, name: str) -> tuple[bytes, str]:
    """``targets.csv``, ``inspectors.csv`` or ``record.json`` of a plan (visible as the plan is)."""
    view = plan_view(session, principal, plan_id)
    if name == "targets.csv":
        return view.plan.targets_csv.encode("utf-8"), "text/csv; charset=utf-8"
    if name == "inspectors.csv":
        return view.plan.inspectors_csv.encode("utf-8"), "text/csv; charset=utf-8"
    if name == "record.json" and view.record is not None:
        from jiliang.stats.draw import canonical_json

        return canonical_json(view.record), "application/json"
    raise NotFoundError(f"plan {plan_id} has no {name}")
