"""Helpers for registry tests: registers as CSV and .xlsx bytes, a system principal."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

import pytest

from jiliang.platform import credit_code
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role

TODAY = date(2026, 11, 1)
HEADER_ZH = [
    "器具名称",
    "型号规格",
    "出厂编号",
    "制造单位",
    "准确度等级",
    "测量范围",
    "使用单位",
    "统一社会信用代码",
    "安装地点",
    "用途",
    "最近检定日期",
    "检定结果",
    "证书编号",
    "检定周期(月)",
]
HEADER_EN = [
    "type",
    "model",
    "serial",
    "manufacturer",
    "accuracy_class",
    "measuring_range",
    "owner_name",
    "owner_credit_code",
    "location",
    "use",
    "last_verified_on",
    "verification_result",
    "certificate_no",
    "verification_period_months",
]
CODE_A = credit_code.generate(random.Random(1), "449901")
CODE_B = credit_code.generate(random.Random(2), "449902")
REGULATOR = Principal(user_id=1, username="reg", role=Role.REGULATOR, org_id=None)


def row(serial: str = "SN1", type_: str = "电子计价秤", code: str = CODE_A, **kw: object) -> list[object]:
    base = {
        "type": type_,
        "model": "ACS-15",
        "serial": serial,
        "manufacturer": "恒达衡器",
        "accuracy_class": "III",
        "measuring_range": "(0~15)kg",
        "owner_name": "江城农贸市场",
        "owner_credit_code": code,
        "location": "1号摊位",
        "use": "贸易结算",
        "last_verified_on": "2026-03-01",
        "verification_result": "合格",
        "certificate_no": "JD2026-1",
        "verification_period_months": "",
    }
    base.update(kw)
    return [base[h] for h in HEADER_EN]


def to_csv(rows: list[list[object]], header: list[str] = HEADER_ZH) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[object]], header: list[str] = HEADER_ZH) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def session(db):  # type: ignore[no-untyped-def]
    """A session on the contract database (SQLite and PostgreSQL) with the catalogue loaded."""
    from jiliang.registry import catalogue

    with db.session(actor="test") as s:
        catalogue.sync(s, TODAY)
    with db.session(actor="test") as s:
        yield s
