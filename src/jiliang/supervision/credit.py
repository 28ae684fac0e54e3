"""Credit classes from evidence stored on the platform, and integrity commitments.

The scoring is :mod:`jiliang.stats.credit` (pure); this module counts each organization's facts
within the rule set's window — inspection findings and outcomes, overdue compulsory instruments
(from the registry), commitments kept or broken — stores the class with its explanation, and runs
the commitment workflow ``submitted → published | rejected``, ``published → broken``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, InputError, NotFoundError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, OrgKind, Role
from jiliang.stats.credit import Evidence, RuleSet, classify
from jiliang.supervision.models import (
    CommitmentStatus,
    CreditClass,
    InspectionTask,
    IntegrityCommitment,
    TaskStatus,
)
from jiliang.supervision.planfile import parse_yaml_strict

__all__ = [
    "COMMITMENT_TEMPLATES",
    "RULES_FILE",
    "class_counts",
    "count_committed_orgs",
    "credit_of",
    "draw_ratios",
    "gather_evidence",
    "list_commitments",
    "listings",
    "load_rules",
    "recompute_classes",
    "review_commitment",
    "submit_commitment",
]

RULES_FILE = Path(__file__).parent / "data" / "credit-rules-demo-2026.yaml"
_SECTORS = {
    OrgKind.FUEL_STATION.value: "fuel_station",
    OrgKind.MARKET.value: "market",
    OrgKind.UTILITY.value: "utility",
    OrgKind.FACTORY.value: "packer",
    OrgKind.HOSPITAL.value: "optician",
}
#: Commitment templates per sector (诚信计量自我承诺); the enterprise may edit the text.
COMMITMENT_TEMPLATES: dict[str, str] = {
    "fuel_station": "本站承诺：加油机按期检定，不改动计量器具及软件，不破坏封印，不使用作弊装置，明码标价、足量加油。",
    "market": "本市场承诺：在用计价秤按期检定，设置公平秤，不使用作弊秤，发现短斤少两及时处理。",
    "optician": "本店承诺：验光仪、焦度计等按期检定，配镜参数准确，如实出具验配单。",
    "utility": "本单位承诺：贸易结算用电能表、水表、燃气表按期检定或轮换，计量数据真实，及时处理计量投诉。",
    "packer": "本企业承诺：定量包装商品净含量符合 JJF 1070 要求，计量器具按期检定，标注清晰真实。",
}


@cache
def load_rules(path: Path = RULES_FILE) -> tuple[RuleSet, dict[str, Any]]:
    """The rule set of an edition file and the file's other fields (issuer, window, draw ratios)."""
    data = parse_yaml_strict(path.read_text(encoding="utf-8"), "credit rules")
    return RuleSet.from_dict(data), data


def draw_ratios() -> dict[str, str]:
    """The draw ratios per class that the current rule set recommends for the next plan."""
    return {str(k): str(v) for k, v in load_rules()[1].get("draw_ratios", {}).items()}


def _overdue_by_owner(session: Session, today: date) -> dict[int, int]:
    from jiliang.registry.metrics import verification_rate

    rows = verification_rate(session, today, by="owner", limit=10**9)
    return {r.key: r.total - r.on_time for r in rows if r.key is not None and r.total > r.on_time}


def gather_evidence(session: Session, today: date, window_days: int) -> dict[int, Counter[str]]:
    """Fact counts per organization within ``window_days`` before ``today``."""
    since = today - timedelta(days=window_days)
    facts: dict[int, Counter[str]] = {}
    for org_id, n in _overdue_by_owner(session, today).items():
        facts.setdefault(org_id, Counter())["overdue_instrument"] = n
    tasks = session.scalars(
        select(InspectionTask).where(InspectionTask.org_id.is_not(None), InspectionTask.inspected_on >= since)
    )
    for t in tasks:
        c = facts.setdefault(t.org_id or 0, Counter())
        for f in t.findings:
            if f["kind"] in {"error_found", "seal_broken", "cheating"}:
                c[f["kind"]] += 1
        if t.status == TaskStatus.FAILED:
            c["failed_inspection"] += 1
        elif t.status == TaskStatus.PASSED:
            c["passed_inspection"] += 1
    for cm in session.scalars(select(IntegrityCommitment).where(IntegrityCommitment.year >= since.year)):
        if cm.status == CommitmentStatus.BROKEN:
            facts.setdefault(cm.org_id, Counter())["commitment_broken"] += 1
        elif cm.status == CommitmentStatus.PUBLISHED:
            facts.setdefault(cm.org_id, Counter())["commitment_kept"] += 1
    return facts


def recompute_classes(session: Session, principal: Principal, today: date) -> dict[str, int]:
    """Classify every enterprise-like organization; returns the count per class."""
    principal.require(Role.REGULATOR)
    rules, data = load_rules()
    facts = gather_evidence(session, today, int(data.get("window_days", 730)))
    existing = {c.org_id: c for c in session.scalars(select(CreditClass))}
    kinds = [k.value for k in OrgKind if k not in (OrgKind.REGULATOR, OrgKind.INSTITUTE)]
    counts: Counter[str] = Counter()
    for org_id in session.scalars(select(Organization.id).where(Organization.kind.in_(kinds))):
        result = classify(Evidence(str(org_id), dict(facts.get(org_id, {}))), rules)
        row = existing.get(org_id) or CreditClass(org_id=org_id)
        row.credit_class, row.score, row.edition = result.credit_class, result.score, result.edition
        row.computed_on, row.listing, row.explanation = today, result.listing, result.as_dict()
        if row.id is None:
            session.add(row)
        counts[result.credit_class] += 1
    session.flush()
    return dict(sorted(counts.items()))


def class_counts(session: Session) -> dict[str, int]:
    """How many organizations are in each class, and on each list."""
    from sqlalchemy import func

    out: dict[str, int] = {}
    for cls, n in session.execute(
        select(CreditClass.credit_class, func.count()).group_by(CreditClass.credit_class)
    ):
        out[cls] = int(n)
    for listing, n in session.execute(
        select(CreditClass.listing, func.count())
        .where(CreditClass.listing.is_not(None))
        .group_by(CreditClass.listing)
    ):
        out[f"list_{listing}"] = int(n)
    return out


def credit_of(session: Session, principal: Principal, org_id: int) -> CreditClass | None:
    """An organization's class and explanation: the regulator and the organization itself."""
    if not (principal.is_regulator or (principal.org_id is not None and principal.org_id == org_id)):
        raise NotFoundError(f"organization {org_id} not found")
    return session.scalar(select(CreditClass).where(CreditClass.org_id == org_id))


def listings(session: Session, listing: str, limit: int = 500) -> list[tuple[CreditClass, Organization]]:
    """The red or black list, public: organization, class, edition and the stated reason."""
    if listing not in {"red", "black"}:
        raise InputError("listing must be red or black")
    stmt = (
        select(CreditClass, Organization)
        .join(Organization, Organization.id == CreditClass.org_id)
        .where(CreditClass.listing == listing)
        .order_by(Organization.name)
        .limit(limit)
    )
    return [(c, o) for c, o in session.execute(stmt).tuples()]


def submit_commitment(
    session: Session, principal: Principal, year: int, text: str | None = None
) -> IntegrityCommitment:
    """An enterprise submits its commitment for ``year`` (the sector's template if no text)."""
    principal.require(Role.ENTERPRISE)
    org = session.get(Organization, principal.org_id)
    if org is None:
        raise NotFoundError("your organization is not registered")
    sector = _SECTORS.get(org.kind, "packer")
    body = (text or COMMITMENT_TEMPLATES[sector]).strip()
    if not 10 <= len(body) <= 4000:
        raise InputError("a commitment text has 10 to 4000 characters")
    same = session.scalar(
        select(IntegrityCommitment).where(
            IntegrityCommitment.org_id == org.id, IntegrityCommitment.year == year
        )
    )
    if same is not None:
        raise ConflictError(f"a commitment for {year} was already submitted ({same.status})")
    row = IntegrityCommitment(org_id=org.id, year=year, sector=sector, text=body)
    session.add(row)
    session.flush()
    return row


def review_commitment(
    session: Session,
    principal: Principal,
    commitment_id: int,
    accept: bool,
    today: date,
    note: str | None = None,
) -> IntegrityCommitment:
    """The regulator publishes or rejects a submitted commitment."""
    principal.require(Role.REGULATOR)
    row = session.get(IntegrityCommitment, commitment_id)
    if row is None:
        raise NotFoundError(f"commitment {commitment_id} not found")
    if row.status != CommitmentStatus.SUBMITTED:
        raise ConflictError(f"commitment {commitment_id} is {row.status}; only a submitted one is reviewed")
    if not accept and not (note or "").strip():
        raise InputError("say why the commitment is rejected")
    row.status = (CommitmentStatus.PUBLISHED if accept else CommitmentStatus.REJECTED).value
    row.review_note = (note or "").strip()[:500] or None
    row.published_on = today if accept else None
    session.flush()
    return row


def count_committed_orgs(session: Session, on: date) -> int:
    """Organisations with a commitment published on or before ``on`` (and not broken since): one
    count, for the indicators."""
    stmt = select(func.count(func.distinct(IntegrityCommitment.org_id))).where(
        IntegrityCommitment.status == CommitmentStatus.PUBLISHED.value,
        IntegrityCommitment.published_on <= on,
    )
    return int(session.scalar(stmt) or 0)


def list_commitments(
    session: Session, principal: Principal, public: bool = False, limit: int = 500
) -> list[tuple[IntegrityCommitment, Organization]]:
    """Published and broken commitments for everyone; the regulator also sees submitted ones;
    an enterprise sees its own."""
    stmt = select(IntegrityCommitment, Organization).join(
        Organization, Organization.id == IntegrityCommitment.org_id
    )
    if public or not (principal.is_regulator or principal.org_id):
        stmt = stmt.where(
            IntegrityCommitment.status.in_([CommitmentStatus.PUBLISHED.value, CommitmentStatus.BROKEN.value])
        )
    elif not principal.is_regulator:
        stmt = stmt.where(IntegrityCommitment.org_id == principal.org_id)
    stmt = stmt.order_by(IntegrityCommitment.id.desc()).limit(limit)
    return [(c, o) for c, o in session.execute(stmt).tuples()]
