"""Importing registers: validation per row, idempotence, hostile files; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from jiliang.errors import InputError, TooLargeError
from jiliang.platform.models import AuditEntry, Organization
from jiliang.registry.dates import add_months, parse_date
from jiliang.registry.importer import import_register
from jiliang.registry.models import Instrument, Verification

from .conftest import CODE_A, CODE_B, HEADER_EN, TODAY, row, to_csv, to_xlsx


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_good_rows_are_stored_with_owner_due_date_and_record(session):
    rep = import_register(
        session, to_csv([row("SN1"), row("SN2", "加油机", use="trade_settlement")]), "r.csv", today=TODAY
    )
    assert (rep.accepted, rep.rejected, rep.unchanged, rep.owners_created) == (2, 0, 0, 1)
    inst = session.scalar(select(Instrument).where(Instrument.serial == "SN1"))
    assert inst.next_due_on == date(2027, 3, 1)  # JJG 539: 12 months
    assert inst.status == "in_use" and inst.last_result == "pass"
    assert count(session, Verification) == 2
    owner = session.scalar(select(Organization).where(Organization.credit_code == CODE_A))
    assert owner.name == "江城农贸市场" and inst.owner_id == owner.id


def test_one_audit_entry_per_stored_row(session):
    from jiliang.platform.audit import verify

    before = count(session, AuditEntry)
    import_register(session, to_csv([row("SN1"), row("SN2")]), "r.csv", today=TODAY)
    # 1 owner + 2 register rows (each entry holds the instrument and the verification it brought)
    assert count(session, AuditEntry) - before == 3
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "reg_instrument")).first()
    assert entry.after["serial"] == "SN1" and entry.after["certificate_no"] == "JD2026-1"
    assert entry.after["last_verified_on"] == "2026-03-01" and entry.after["status"] == "in_use"
    session.flush()
    assert verify(session).ok


def test_reimporting_the_same_file_changes_nothing(session):
    data = to_csv([row("SN1"), row("SN2")])
    import_register(session, data, "r.csv", today=TODAY)
    session.flush()
    before = (count(session, Instrument), count(session, Verification), count(session, AuditEntry))
    rep = import_register(session, data, "r.csv", today=TODAY)
    assert (rep.accepted, rep.unchanged, rep.rejected) == (0, 2, 0)
    assert (count(session, Instrument), count(session, Verification), count(session, AuditEntry)) == before


def test_a_newer_verification_updates_the_instrument(session):
    import_register(session, to_csv([row("SN1")]), "r.csv", today=TODAY)
    rep = import_register(session, to_csv([row("SN1", last_verified_on="2026-10-01")]), "r.csv", today=TODAY)
    assert (rep.updated, rep.created) == (1, 0)
    assert session.scalar(select(Instrument.next_due_on).where(Instrument.serial == "SN1")) == date(
        2027, 10, 1
    )
    assert count(session, Verification) == 2


def test_english_headers_and_an_explicit_period(session):
    rep = import_register(
        session,
        to_csv(
            [
                row(
                    "E1",
                    "fuel-dispenser",
                    use="trade_settlement",
                    verification_result="pass",
                    verification_period_months="6",
                )
            ],
            HEADER_EN,
        ),
        "r.csv",
        today=TODAY,
    )
    assert rep.accepted == 1
    assert session.scalar(select(Instrument.next_due_on).where(Instrument.serial == "E1")) == date(2026, 9, 1)
    assert session.scalar(select(Instrument.status).where(Instrument.serial == "E1")) == "blocked"


@pytest.mark.parametrize(
    ("kwargs", "column", "words"),
    [
        ({"type_": "量子秤"}, "type", "unknown instrument type"),
        ({"use": "自用"}, "use", "unknown use"),
        ({"code": "91449901MA0000000X"}, "owner_credit_code", "check character"),
        ({"serial": ""}, "serial", "missing"),
        ({"last_verified_on": "2099-01-01"}, "last_verified_on", "future"),
        ({"last_verified_on": "2026-02-30"}, "last_verified_on", "not a valid date"),
        ({"last_verified_on": "yesterday"}, "last_verified_on", "not a date"),
        ({"last_verified_on": "1900/1/1"}, "last_verified_on", "before"),
        ({"verification_result": "还行"}, "verification_result", "unknown result"),
        ({"verification_period_months": "0"}, "verification_period_months", "1–240"),
        ({"serial": '=HYPERLINK("http://x")'}, "serial", "formula"),
        ({"location": "+1+1"}, "location", "formula"),
        ({"model": "@SUM(A1)"}, "model", "formula"),
        ({"manufacturer": "-2+3"}, "manufacturer", "formula"),
        ({"serial": "S" * 65}, "serial", "longer than 64"),
        ({"location": "a\x01b"}, "location", "control"),
    ],
)
def test_bad_rows_are_rejected_with_line_column_reason_and_good_rows_kept(session, kwargs, column, words):
    rep = import_register(
        session,
        to_csv([row("OK1"), row("BAD", **kwargs) if "serial" not in kwargs else row(**kwargs)]),
        "r.csv",
        today=TODAY,
    )
    assert (rep.accepted, rep.rejected) == (1, 1)
    (err,) = rep.rows
    assert (err.line, err.column) == (3, column)
    assert words in err.reason
    assert count(session, Instrument) == 1


def test_duplicate_identity_in_one_file_is_rejected(session):
    rep = import_register(session, to_csv([row("SN1"), row("SN1", model="other")]), "r.csv", today=TODAY)
    assert rep.accepted == 1 and rep.rows[0].line == 3 and "line 2" in rep.rows[0].reason
    # same serial for another owner or another type is another instrument
    rep = import_register(
        session, to_csv([row("SN1", code=CODE_B), row("SN1", "加油机")]), "r.csv", today=TODAY
    )
    assert rep.accepted == 2


def test_xlsx_with_dates_serials_and_formulas(session):
    rows = [
        row("X1", last_verified_on=date(2026, 3, 1)),
        row("X2", last_verified_on=46082),  # spreadsheet serial of 2026-03-01
        row("X3", last_verified_on="2026年3月1日"),
        row("X4", last_verified_on="2026/3/1"),
        row("=1+1"),
    ]
    rep = import_register(session, to_xlsx(rows), "r.xlsx", today=TODAY)
    assert rep.accepted == 4 and rep.rows[0].column == "serial"
    dues = set(session.scalars(select(Instrument.next_due_on)))
    assert dues == {date(2027, 3, 1)}


def test_macro_enabled_and_legacy_workbooks_are_refused(session):
    data = to_xlsx([row("M1")])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 10)
    with pytest.raises(InputError, match="macro"):
        import_register(session, buf.getvalue(), "r.xlsx", today=TODAY)
    with pytest.raises(InputError, match=r"xlsm|macros"):
        import_register(session, data, "r.xlsm", today=TODAY)
    with pytest.raises(InputError, match=r"xls"):
        import_register(session, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "r.bin", today=TODAY)
    assert count(session, Instrument) == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        ("型号规格,出厂编号\nA,B\n".encode(), "lacks the column"),
        (b"PK\x03\x04garbage", "not a readable"),
        (b"\xff\xfe\x00\x00" * 10, "NUL|UTF-8"),
        ("器具名称,器具名称\n".encode(), "twice"),
    ],
)
def test_malformed_files_are_refused_whole_and_nothing_changes(session, data, words):
    with pytest.raises(InputError, match=words):
        import_register(session, data, "r.csv", today=TODAY)
    assert count(session, Instrument) == 0


def test_oversized_file_is_refused(session):
    with pytest.raises(TooLargeError):
        import_register(session, to_csv([row("SN1")] * 10), "r.csv", today=TODAY, max_bytes=100)
    assert count(session, Instrument) == 0


def test_dry_run_reports_without_storing(session):
    rep = import_register(
        session, to_csv([row("SN1"), row("SN2", use="?")]), "r.csv", today=TODAY, commit=False
    )
    assert (rep.accepted, rep.rejected, rep.committed) == (1, 1, False)
    assert count(session, Instrument) == 0 and count(session, Organization) == 0


def test_dates_and_months():
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    assert parse_date(" 2024 年 2 月 9 日 ") == date(2024, 2, 9)
    assert parse_date(45351) == date(2024, 2, 29)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    for bad in ("2024-13-01", "12/03/2024", True, 0, 1.5, ""):
        with pytest.raises(InputError):
            parse_date(bad)
