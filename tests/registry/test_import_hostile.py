"""Hostile register files: disguised formulas, unknown encodings, look-alike serials, workbook
bombs (contract: SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import func, select

from jiliang.errors import InputError, TooLargeError
from jiliang.registry import importer
from jiliang.registry.importer import import_register
from jiliang.registry.models import Instrument
from jiliang.registry.service import InstrumentFilter, find_instrument, list_instruments

from .conftest import CODE_A, HEADER_ZH, REGULATOR, TODAY, row, to_csv, to_xlsx


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Instrument))


@pytest.mark.parametrize(
    "cell",
    [
        ' =HYPERLINK("http://x")',
        "\n=1+1",
        "\u00a0=1+1",
        "\u3000=1+1",
        "\u200b=1+1",
        "\ufeff@SUM(A1)",
        "＝1+1",
        "\u3000＋1",
        "－2",
        "＠A1",
        "\t1",
        "\rx",
        "-20~60",  # a range written as text starting with '-' was refused before and still is
    ],
)
def test_disguised_formulas_are_refused_with_the_users_header(session, cell):
    rep = import_register(session, to_csv([row("OK1"), row("BAD", location=cell)]), "r.csv", today=TODAY)
    assert (rep.accepted, rep.rejected) == (1, 1)
    (err,) = rep.rows
    assert (err.line, err.column, err.header) == (3, "location", "安装地点")
    assert "column '安装地点'" in err.reason and "formula" in err.reason
    assert err.as_dict()["header"] == "安装地点"


def test_ranges_and_serials_with_inner_signs_are_kept(session):
    rep = import_register(
        session, to_csv([row("SN-1", measuring_range="(-20~60)℃", model="A+B")]), "r.csv", today=TODAY
    )
    assert rep.accepted == 1 and rep.rows == []


def test_formula_in_xlsx_text_cell_is_refused_under_the_english_header(session):
    rep = import_register(
        session,
        to_xlsx([row("X1"), row("X2", model="\u3000=1+1")], header=importer.FIELDS),
        "r.xlsx",
        today=TODAY,
    )
    assert rep.accepted == 1 and rep.rows[0].header == "model"


TRADITIONAL = (
    "器具名稱,型號規格,出廠編號,製造單位,準確度等級,測量範圍,使用單位,統一社會信用代碼,安裝地點,用途,"
    "最近檢定日期,檢定結果,證書編號\n"
    "電子計價秤,ACS-15,B1,恆達衡器,III,(0~15)kg,江城農貿市場有限公司,{code},東區一號攤位,貿易結算,"
    "2026-03-01,合格,JD2026-1\n"
)


def _gb_register(encoding: str, owner: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER_ZH)
    w.writerow(row("B1", owner_name=owner, location="东区一号摊位"))
    return buf.getvalue().encode(encoding)


def test_big5_register_is_refused_with_a_request_for_utf8(session):
    data = TRADITIONAL.format(code=CODE_A).encode("big5")  # a register saved in Big5 (Taiwan, Hong Kong)
    data.decode("gb18030")  # decodes without error: the reason it was stored as mojibake before
    with pytest.raises(InputError, match=r"may be Big5.*CSV UTF-8"):
        import_register(session, data, "r.csv", today=TODAY)
    assert count(session) == 0


@pytest.mark.parametrize("owner", ["江城农贸市场有限公司", "江城農貿市場有限公司"])
def test_gb18030_register_is_read(session, owner):
    rep = import_register(session, _gb_register("gb18030", owner), "r.csv", today=TODAY)
    assert rep.accepted == 1
    assert session.scalar(select(Instrument.location)) == "东区一号摊位"


def test_undecodable_bytes_are_refused(session):
    with pytest.raises(InputError, match="neither UTF-8 nor GB 18030"):
        import_register(session, "器具名称\n".encode() + b"\x81\x20\xff", "r.csv", today=TODAY)


LOOK_ALIKES = ["SN1", "sn1", "ＳＮ１", "SN\u200b1", "\u3000SN1 ", "S\u00adN1", "ｓｎ1"]


def test_look_alike_serials_are_one_instrument(session):
    rep = import_register(session, to_csv([row(s) for s in LOOK_ALIKES]), "r.csv", today=TODAY)
    assert rep.accepted == 1 and rep.rejected == len(LOOK_ALIKES) - 1
    assert all("same owner, type and serial as line 2" in e.reason for e in rep.rows)
    session.flush()
    inst = session.scalar(select(Instrument))
    assert (inst.serial, inst.serial_key) == ("SN1", "sn1")  # the display form is kept
    for spelling in LOOK_ALIKES[1:]:
        again = import_register(session, to_csv([row(spelling)]), "r.csv", today=TODAY)
        assert (again.accepted, again.unchanged) == (0, 1), spelling
    assert count(session) == 1
    assert find_instrument(session, inst.owner_id, "ＳＮ\u200b1").id == inst.id
    _total, _exact, rows = list_instruments(session, REGULATOR, InstrumentFilter(q="ｓｎ"))
    assert [r["serial"] for r in rows] == ["SN1"]


def test_serial_of_invisible_characters_only_is_missing(session):
    rep = import_register(session, to_csv([row("\u200b\u200b")]), "r.csv", today=TODAY)
    assert rep.rows[0].column == "serial" and "missing" in rep.rows[0].reason


def test_database_refuses_a_second_spelling_of_a_stored_serial(session):
    from sqlalchemy.exc import IntegrityError

    import_register(session, to_csv([row("AB-1")]), "r.csv", today=TODAY)
    session.flush()
    first = session.scalar(select(Instrument))
    twin = Instrument(type_id=first.type_id, owner_id=first.owner_id, serial="ａｂ-1", use="safety")
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def _bomb(strings: int) -> bytes:
    """A valid workbook whose shared strings part holds ``strings`` one-letter strings."""
    base = to_xlsx([row("Z1")])
    body = b"<si><t>a</t></si>" * strings
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (strings, strings) + body + b"</sst>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "xl/sharedStrings.xml":
                dst.writestr(item, src.read(item))
        dst.writestr("xl/sharedStrings.xml", xml, compresslevel=9)
    return out.getvalue()


def test_shared_strings_bomb_is_refused_before_parsing(session):
    data = _bomb(3_000_000)  # ~50 MB of XML in well under 1 MB
    assert len(data) < 1_000_000
    with pytest.raises(TooLargeError, match=r"sharedStrings.xml unpacks \d+ times its size"):
        import_register(session, data, "r.xlsx", today=TODAY)
    assert count(session) == 0


def test_too_many_shared_strings_or_cells_are_refused(session, monkeypatch):
    monkeypatch.setattr(importer, "MAX_SHARED_STRINGS", 10)
    with pytest.raises(TooLargeError, match="more than 10 shared strings"):
        import_register(session, _bomb(11), "r.xlsx", today=TODAY)
    monkeypatch.setattr(importer, "MAX_SHARED_STRINGS", 1000)
    monkeypatch.setattr(importer, "MAX_CELLS", 20)
    with pytest.raises(TooLargeError, match="more than 20 cells"):
        import_register(session, to_xlsx([row("C1"), row("C2")]), "r.xlsx", today=TODAY)
    assert count(session) == 0
