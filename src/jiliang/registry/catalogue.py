"""The catalogue of instruments under compulsory control, as versioned data files.

Each edition is a YAML file ``data/catalogue-<edition>.yaml`` with its ``edition``,
``effective_from`` date and source; :func:`load` reads one, :func:`current` picks the edition in
force on a date, :func:`sync` stores it in the database (types the city added stay).
Names and aliases resolve to a type through :meth:`Catalogue.resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import InputError

__all__ = ["Catalogue", "TypeSpec", "current", "editions", "load", "resolver", "sync"]

DATA = Path(__file__).parent / "data"
USES = ("trade_settlement", "safety", "medical", "environment")


@dataclass(frozen=True, slots=True)
class TypeSpec:
    code: str
    name: str
    name_en: str
    category: str
    uses: tuple[str, ...]
    regulation: str
    period_months: int
    quantity: str
    tolerance_percent: float | None
    aliases: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.code or not self.name:
            raise InputError(f"catalogue item needs a code and a name: {self!r}")
        if not 1 <= self.period_months <= 240:
            raise InputError(f"{self.code}: verification period {self.period_months} months is implausible")
        bad = [u for u in self.uses if u not in USES]
        if bad:
            raise InputError(f"{self.code}: unknown use {bad[0]!r}")


@dataclass(frozen=True, slots=True)
class Catalogue:
    edition: str
    effective_from: date
    source: str
    types: tuple[TypeSpec, ...]

    def resolve(self, name: str) -> TypeSpec | None:
        """The type called ``name`` (code, Chinese or English name, or an alias)."""
        return _index(self).get(_norm(name))


def _norm(name: str) -> str:
    return "".join(name.split()).casefold().replace("（", "(").replace("）", ")")


@cache
def _index(cat: Catalogue) -> dict[str, TypeSpec]:
    out: dict[str, TypeSpec] = {}
    for spec in cat.types:
        for n in (spec.code, spec.name, spec.name_en, *spec.aliases):
            out.setdefault(_norm(n), spec)
    return out


def editions() -> list[Path]:
    return sorted(DATA.glob("catalogue-*.yaml"))


@cache
def load(path: Path) -> Catalogue:
    import yaml

    raw = yaml.safe_load(path.read_text("utf-8"))
    try:
        types = tuple(
            TypeSpec(
                code=str(t["code"]),
                name=str(t["name"]),
                name_en=str(t["name_en"]),
                category=str(t["category"]),
                uses=tuple(t["uses"]),
                regulation=str(t["regulation"]),
                period_months=int(t["period_months"]),
                quantity=str(t["quantity"]),
                tolerance_percent=t.get("tolerance_percent"),
                aliases=tuple(str(a) for a in t.get("aliases", ())),
            )
            for t in raw["types"]
        )
        eff = raw["effective_from"]
        return Catalogue(
            str(raw["edition"]),
            eff if isinstance(eff, date) else date.fromisoformat(eff),
            str(raw["source"]),
            types,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"catalogue file {path.name} is malformed: {exc}") from None


def current(on: date) -> Catalogue:
    """The edition in force on ``on`` (the latest with ``effective_from`` ≤ ``on``)."""
    cats = [load(p) for p in editions()]
    valid = [c for c in cats if c.effective_from <= on]
    if not valid:
        raise InputError(f"no catalogue edition is in force on {on}")
    return max(valid, key=lambda c: c.effective_from)


def sync(session: Session, on: date) -> dict[str, int]:
    """Store the catalogue in force (idempotent); return type code → id for every stored type."""
    from jiliang.registry.models import InstrumentType

    cat = current(on)
    existing = {t.code: t for t in session.scalars(select(InstrumentType))}
    for spec in cat.types:
        row = existing.get(spec.code)
        values = dict(
            name=spec.name,
            name_en=spec.name_en,
            category=spec.category,
            uses=list(spec.uses),
            regulation=spec.regulation,
            period_months=spec.period_months,
            quantity=spec.quantity,
            tolerance_percent=spec.tolerance_percent,
            aliases=list(spec.aliases),
            edition=cat.edition,
            effective_from=cat.effective_from,
            compulsory=True,
        )
        if row is None:
            row = InstrumentType(code=spec.code, **values)
            session.add(row)
            existing[spec.code] = row
        elif row.edition != cat.edition:
            for k, v in values.items():
                setattr(row, k, v)
    session.flush()
    return {code: t.id for code, t in existing.items()}


def resolver(session: Session) -> dict[str, int]:
    """Every name and alias of the stored types (normalized) → type id."""
    from jiliang.registry.models import InstrumentType

    out: dict[str, int] = {}
    for t in session.scalars(select(InstrumentType)):
        for n in (t.code, t.name, t.name_en, *(t.aliases or [])):
            out.setdefault(_norm(n), t.id)
    return out


normalize_name = _norm
