"""CSV files of a unit's meter inventory and activity data, parsed and checked before anything is stored.

INVENTORY.csv: ``instrument,energy_type,level,point`` and optional ``requirement,accuracy_class``
(``instrument`` is the registry id or the serial as written). ACTIVITY.csv:
``period,energy_type,quantity,factor`` and optional ``meter,u_rel,factor_value,factor_u_rel,factor_source``
(``meter`` is the instrument id or serial of a meter of the inventory; without it the line is an
unmetered estimate and needs ``u_rel``; ``factor_value`` without ``factor_source`` is refused).
The whole file is refused on the first bad cell, with its line and column: nothing is stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from jiliang.energy.tables import LEVELS, edition_for, emission_factors, factor_from_dict
from jiliang.errors import InputError, TooLargeError
from jiliang.platform.cells import formula_like, number_cell

__all__ = [
    "ENERGY_TYPES",
    "MAX_CSV_BYTES",
    "MAX_ROWS",
    "ActivityRow",
    "InventoryRow",
    "parse_activity",
    "parse_inventory",
]

MAX_CSV_BYTES = 2_000_000
MAX_ROWS = 20_000


def _energy_types() -> frozenset[str]:
    from datetime import date

    return frozenset(edition_for(date(2025, 1, 1)).rates)


#: Energy types of GB 17167 Table 3 (the keys of the shipped tables).
ENERGY_TYPES = _energy_types()


@dataclass(frozen=True, slots=True)
class InventoryRow:
    line: int
    instrument: str
    energy_type: str
    level: int
    point: str
    requirement: str | None
    accuracy_class: str | None


@dataclass(frozen=True, slots=True)
class ActivityRow:
    line: int
    period: str
    energy_type: str
    quantity: float
    factor: str
    meter: str | None
    u_rel: float | None
    factor_value: float | None
    factor_u_rel: float | None
    factor_source: str | None


def _rows(
    text: str, name: str, required: Iterable[str], optional: Iterable[str]
) -> list[tuple[int, dict[str, str]]]:
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise TooLargeError(f"{name}: larger than {MAX_CSV_BYTES} bytes")
    if "\x00" in text:
        raise InputError(f"{name}: contains NUL bytes; not a CSV text file")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    need, allowed = list(required), set(required) | set(optional)
    missing = [c for c in need if c not in header]
    if missing:
        raise InputError(f"{name}: missing column(s) {', '.join(missing)}")
    unknown = [c for c in header if c not in allowed]
    if unknown:
        raise InputError(f"{name}: unknown column(s) {', '.join(unknown[:5])}")
    out: list[tuple[int, dict[str, str]]] = []
    try:
        for i, raw in enumerate(reader, start=2):
            if len(out) >= MAX_ROWS:
                raise TooLargeError(f"{name}: more than {MAX_ROWS} rows")
            if None in raw:
                raise InputError(f"{name} line {i}: more cells than columns")
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            if not any(row.values()):
                continue
            for col, cell in row.items():
                if formula_like(cell):
                    raise InputError(f"{name} line {i}: {col} looks like a spreadsheet formula; not accepted")
                if any(ord(c) < 32 for c in cell) or len(cell) > 300:
                    raise InputError(
                        f"{name} line {i}: {col} has control characters or is over 300 characters"
                    )
            out.append((i, row))
    except csv.Error as exc:
        raise InputError(f"{name}: not a valid CSV file ({exc})") from None
    if not out:
        raise InputError(f"{name}: no rows")
    return out


def _energy_type(name: str, line: int, cell: str) -> str:
    if cell not in ENERGY_TYPES:
        raise InputError(f"{name} line {line}: energy_type {cell!r} is not one of GB 17167 Table 3")
    return cell


def parse_inventory(text: str, name: str = "inventory.csv") -> list[InventoryRow]:
    """The rows of an inventory file; the same instrument twice in the file is refused.

    Examples
    --------
    >>> rows = parse_inventory("instrument,energy_type,level,point\\nE1,electricity,1,总进线\\n")
    >>> rows[0].instrument, rows[0].level
    ('E1', 1)
    >>> parse_inventory("instrument,energy_type,level,point\\nE1,electricity,1,a\\nE1,water,2,b\\n")
    Traceback (most recent call last):
    ...
    jiliang.errors.InputError: inventory.csv line 3: instrument E1 is linked twice (first on line 2)
    """
    out: list[InventoryRow] = []
    seen: dict[str, int] = {}
    tables4 = edition_for_any_codes()
    for i, r in _rows(
        text, name, ("instrument", "energy_type", "level", "point"), ("requirement", "accuracy_class")
    ):
        inst = r["instrument"]
        if not inst:
            raise InputError(f"{name} line {i}: instrument is empty")
        if inst.casefold() in seen:
            raise InputError(
                f"{name} line {i}: instrument {inst} is linked twice (first on line {seen[inst.casefold()]})"
            )
        seen[inst.casefold()] = i
        et = _energy_type(name, i, r["energy_type"])
        if r["level"] not in {str(lv) for lv in LEVELS}:
            raise InputError(f"{name} line {i}: level {r['level']!r} is not 1, 2 or 3")
        if not r["point"]:
            raise InputError(f"{name} line {i}: point (the metering point) is empty")
        req = r.get("requirement") or None
        if req is not None and req not in tables4:
            raise InputError(f"{name} line {i}: requirement {req!r} is not a row of GB 17167 Table 4")
        out.append(
            InventoryRow(i, inst, et, int(r["level"]), r["point"], req, r.get("accuracy_class") or None)
        )
    return out


def edition_for_any_codes() -> frozenset[str]:
    """Table 4 row codes of every shipped edition."""
    from jiliang.energy.tables import editions

    return frozenset(code for e in editions() for code in e.accuracy)


def _opt(name: str, line: int, col: str, cell: str | None) -> float | None:
    return None if not cell else number_cell(name, line, col, cell)


def parse_activity(text: str, name: str = "activity.csv") -> list[ActivityRow]:
    """The rows of an activity file. A factor of one's own needs its source.

    Examples
    --------
    >>> parse_activity("period,energy_type,quantity,factor,factor_value\\n2025,electricity,10,own,0.6\\n")
    Traceback (most recent call last):
    ...
    jiliang.errors.InputError: activity.csv line 2: emission factor own has no source
    """
    shipped = emission_factors()
    out = []
    opt = ("meter", "u_rel", "factor_value", "factor_u_rel", "factor_source")
    for i, r in _rows(text, name, ("period", "energy_type", "quantity", "factor"), opt):
        period = r["period"]
        if not (0 < len(period) <= 16 and period.replace("-", "").isalnum()):
            raise InputError(f"{name} line {i}: period {period!r} is not like 2025 or 2025-06")
        et = _energy_type(name, i, r["energy_type"])
        q = number_cell(name, i, "quantity", r["quantity"])
        if q < 0:
            raise InputError(f"{name} line {i}: quantity {q} is negative")
        code = r["factor"]
        fv, fu, src = (
            _opt(name, i, "factor_value", r.get("factor_value")),
            _opt(name, i, "factor_u_rel", r.get("factor_u_rel")),
            (r.get("factor_source") or None),
        )
        try:
            if fv is not None:
                factor_from_dict({"code": code, "value": fv, "u_rel": fu or 0.0, "source": src or ""})
            elif code not in shipped:
                raise InputError(
                    f"emission factor {code!r} is not shipped; give factor_value and factor_source"
                )
            u_rel = _opt(name, i, "u_rel", r.get("u_rel"))
            meter = r.get("meter") or None
            if meter is None and u_rel is None:
                raise InputError("an unmetered quantity needs u_rel")
            if u_rel is not None and not 0 <= u_rel < 1:
                raise InputError(f"u_rel {u_rel} is not in [0, 1)")
        except InputError as exc:
            raise InputError(f"{name} line {i}: {exc.message}") from None
        out.append(ActivityRow(i, period, et, q, code, meter, u_rel, fv, fu if fv is not None else None, src))
    return out
