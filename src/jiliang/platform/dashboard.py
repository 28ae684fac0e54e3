"""The platform's figures on the home page: organizations, districts, users, audit entries.

A figure provider like the capabilities' ``dashboard`` modules (see :mod:`jiliang.web.home`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.platform.audit_read import audit_count
from jiliang.platform.auth import Principal
from jiliang.platform.models import District, Organization, User

__all__ = ["home_charts", "home_figures"]


def _count(session: Session, model: type[Organization] | type[District] | type[User]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def home_figures(session: Session, principal: Principal, on: date) -> list[dict[str, Any]]:
    """Organizations and districts for everyone; users and audit entries for the regulator."""
    figures: list[dict[str, Any]] = [
        {"label": "home.organizations", "value": _count(session, Organization)},
        {"label": "home.districts", "value": _count(session, District)},
    ]
    if principal.is_regulator:
        figures.append({"label": "home.users", "value": _count(session, User)})
        figures.append({"label": "home.audit_entries", "value": audit_count(session)})
    return figures


def home_charts(session: Session, principal: Principal, lang: str, on: date) -> list[dict[str, Any]]:
    """Organizations per district, in the page's language."""
    name = District.name if lang == "zh" else District.name_en
    rows = session.execute(
        select(name, func.count(Organization.id))
        .join(Organization, Organization.district_id == District.id)
        .group_by(District.id, name)
        .order_by(District.id)
    ).all()
    return [{"title": "home.orgs_by_district", "bars": [{"label": r[0], "value": r[1]} for r in rows]}]
