"""Figures for the home page: certificates issued and revoked (scoped to the caller)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jiliang.dcc.models import CertificateStatus, DccCertificate

__all__ = ["home_figures"]


def home_figures(session: Session, principal: Any, on: date) -> list[dict[str, Any]]:
    """Number of certificates (and revoked ones) the caller may see; nothing for the public."""
    if principal.is_anonymous:
        return []
    q = select(func.count()).select_from(DccCertificate)
    if not principal.is_regulator:
        if principal.org_id is None:
            return []
        q = q.where(
            or_(
                DccCertificate.lab_org_id == principal.org_id,
                DccCertificate.customer_org_id == principal.org_id,
            )
        )
    total = session.scalar(q) or 0
    revoked = session.scalar(q.where(DccCertificate.status == CertificateStatus.REVOKED.value)) or 0
    return [
        {"label": "dcc.home_certificates", "value": total, "href": "/certificates"},
        {"label": "dcc.home_revoked", "value": revoked, "href": "/certificates"},
    ]
