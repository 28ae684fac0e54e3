"""Export the register to CSV or .xlsx with the import's columns (so an export re-imports).

Text that a spreadsheet would run as a formula (see :func:`jiliang.platform.cells.formula_like`:
``= + - @`` or their full-width forms after any whitespace or invisible characters, or a leading tab
or carriage return) is written with a leading apostrophe (OWASP, CSV injection), so it stays inert.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import InputError
from jiliang.platform.auth import Principal
from jiliang.platform.cells import safe_cell
from jiliang.platform.models import Organization
from jiliang.registry.importer import COLUMNS
from jiliang.registry.models import Instrument, InstrumentType
from jiliang.registry.service import InstrumentFilter, _filtered

__all__ = ["FORMATS", "export_register"]

FORMATS = ("csv", "xlsx")
_USE_ZH = {
    "trade_settlement": "贸易结算",
    "safety": "安全防护",
    "medical": "医疗卫生",
    "environment": "环境监测",
}
_RESULT_ZH = {"pass": "合格", "fail": "不合格"}


def _text_cell(value: Any) -> str:
    """The cell as text that no spreadsheet evaluates.

    >>> _text_cell("=HYPERLINK(1)"), _text_cell("\u3000=1"), _text_cell("SN-1"), _text_cell(None)
    ("'=HYPERLINK(1)", "'\u3000=1", 'SN-1', '')
    """
    if isinstance(value, date):
        return value.isoformat()
    return str(safe_cell(value))


def _records(session: Session, principal: Principal, f: InstrumentFilter, lang: str) -> Iterator[list[Any]]:
    ids = _filtered(principal, f).subquery()
    stmt = (
        select(
            Instrument,
            InstrumentType.name,
            InstrumentType.name_en,
            Organization.name,
            Organization.credit_code,
        )
        .join(ids, ids.c.id == Instrument.id)
        .join(InstrumentType, InstrumentType.id == Instrument.type_id)
        .join(Organization, Organization.id == Instrument.owner_id)
        .order_by(Instrument.id)
        .execution_options(yield_per=5000)
    )
    for inst, tname, tname_en, oname, ocode in session.execute(stmt):
        yield [
            tname if lang == "zh" else tname_en,
            inst.model,
            inst.serial,
            inst.manufacturer,
            inst.accuracy_class,
            inst.measuring_range,
            oname,
            ocode,
            inst.location,
            _USE_ZH.get(inst.use, inst.use) if lang == "zh" else inst.use,
            inst.last_verified_on,
            (_RESULT_ZH.get(inst.last_result or "", inst.last_result) if lang == "zh" else inst.last_result),
            None,
            inst.period_months,
        ]


def export_register(
    session: Session, principal: Principal, fmt: str, f: InstrumentFilter | None = None, lang: str = "zh"
) -> bytes:
    """The (scoped, filtered) register as CSV (UTF-8 with BOM) or .xlsx bytes."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use csv or xlsx")
    header = [c[1] if lang == "zh" else c[0] for c in COLUMNS]
    rows = _records(session, principal, f or InstrumentFilter(), lang)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        for r in rows:
            w.writerow([_text_cell(v) for v in r])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("register")
    ws.append(header)
    for r in rows:
        cells = []
        for v in r:
            c = WriteOnlyCell(ws, value=_text_cell(v))
            c.data_type = "s"  # never a formula, whatever the text
            cells.append(c)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
