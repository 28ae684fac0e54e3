"""Import a register of instruments from .xlsx or CSV.

Every row is validated; rejected rows are reported as ``{line, column, reason}`` (the header is
line 1) and good rows are stored, in one transaction. Identity is owner + type + serial: a row that
matches a stored instrument with the same values is ``unchanged``, so re-importing a file changes
nothing; a second row with the same identity in one file is rejected. Unknown owners with a valid
GB 32100 credit code are created. Cells that look like spreadsheet formulas (CSV injection; the
one rule of :func:`jiliang.platform.cells.formula_like`) are rejected with the user's column header
and never evaluated; macro-enabled workbooks are refused whole.

Serials are compared in their identity form (:func:`jiliang.platform.cells.identity_text`: NFKC,
case folded, invisible characters and surrounding whitespace removed), so ``SN01``, ``sn01``,
``ＳＮ01`` and ``SN\u200b01`` are one instrument; the serial is stored as first written.

CSV text must be UTF-8 (with or without BOM) or GB 18030 that reads as plausible Chinese (see
:func:`decode_text`); anything else, Big5 in particular, is refused with a request to save as UTF-8.
Workbooks are inspected before they are parsed: a part that unpacks more than
:data:`MAX_XML_RATIO` times its packed size, more than :data:`MAX_SHARED_STRINGS` shared strings or
more than :data:`MAX_CELLS` cells is refused (zip and shared-strings bombs cost no CPU).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from jiliang.errors import InputError, TooLargeError
from jiliang.platform import credit_code
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.cells import formula_like, identity_text
from jiliang.platform.models import Organization, OrgKind
from jiliang.registry import catalogue
from jiliang.registry.dates import add_months, parse_date
from jiliang.registry.models import Instrument, InstrumentType, Verification
from jiliang.registry.status import status_for

__all__ = [
    "COLUMNS",
    "MAX_CELLS",
    "MAX_SHARED_STRINGS",
    "MAX_XML_RATIO",
    "ImportReport",
    "RowError",
    "ValidRow",
    "decode_text",
    "import_register",
    "read_table",
    "template_csv",
    "validate_fields",
]

# field, Chinese header, English header, required, max length
COLUMNS: list[tuple[str, str, bool, int]] = [
    ("type", "器具名称", True, 100),
    ("model", "型号规格", False, 100),
    ("serial", "出厂编号", True, 64),
    ("manufacturer", "制造单位", False, 200),
    ("accuracy_class", "准确度等级", False, 32),
    ("measuring_range", "测量范围", False, 100),
    ("owner_name", "使用单位", True, 200),
    ("owner_credit_code", "统一社会信用代码", True, 32),
    ("location", "安装地点", False, 200),
    ("use", "用途", True, 24),
    ("last_verified_on", "最近检定日期", False, 32),
    ("verification_result", "检定结果", False, 8),
    ("certificate_no", "证书编号", False, 64),
    ("verification_period_months", "检定周期(月)", False, 8),
]
FIELDS = [c[0] for c in COLUMNS]
_HEADER = (
    {c[0]: c[0] for c in COLUMNS}
    | {c[1]: c[0] for c in COLUMNS}
    | {"检定周期（月）": "verification_period_months"}
)
USE_NAMES = {
    "贸易结算": "trade_settlement",
    "安全防护": "safety",
    "医疗卫生": "medical",
    "环境监测": "environment",
    "trade_settlement": "trade_settlement",
    "trade settlement": "trade_settlement",
    "safety": "safety",
    "medical": "medical",
    "environment": "environment",
}
RESULT_NAMES = {"合格": "pass", "不合格": "fail", "pass": "pass", "fail": "fail"}
MAX_ROWS = 1_000_000
MAX_XML_RATIO = 100  # unpacked / packed size of one workbook part
MAX_SHARED_STRINGS = 2 * MAX_ROWS
MAX_CELLS = (MAX_ROWS + 1) * len(COLUMNS)
_FORMULA_REASON = (
    "cell looks like a spreadsheet formula (starts with = + - @, ＝ ＋ － ＠, a tab or a carriage "
    "return, after any spaces); formulas are not accepted"
)
_EARLIEST = date(1950, 1, 1)
_CODES: dict[str, str] = {}  # credit codes already validated (pure function of the text)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: ``column`` is the field, ``header`` the column's header in the user's file."""

    line: int
    column: str
    reason: str
    header: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "header": self.header, "reason": self.reason}


@dataclass(slots=True)
class ImportReport:
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    created: int = 0
    updated: int = 0
    owners_created: int = 0
    committed: bool = False
    rows: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unchanged": self.unchanged,
            "created": self.created,
            "updated": self.updated,
            "owners_created": self.owners_created,
            "committed": self.committed,
            "rows": [r.as_dict() for r in self.rows],
        }


class _Reject(Exception):
    def __init__(self, column: str, reason: str) -> None:
        self.column, self.reason = column, reason


# ---------------------------------------------------------------- reading the file


def _is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _check_workbook(data: bytes, max_bytes: int) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError("the file is not a readable .xlsx workbook") from None
    names = zf.namelist()
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise InputError("macro-enabled workbooks are refused; save as .xlsx without macros")
    try:
        types = zf.read("[Content_Types].xml")
    except KeyError:
        raise InputError("the file is not a readable .xlsx workbook") from None
    if b"macroEnabled" in types:
        raise InputError("macro-enabled workbooks are refused; save as .xlsx without macros")
    unpacked = sum(i.file_size for i in zf.infolist())
    if unpacked > 20 * max_bytes:
        raise TooLargeError(f"the workbook unpacks to {unpacked} bytes, more than {20 * max_bytes}")
    _check_parts(zf)


def _check_parts(zf: zipfile.ZipFile) -> None:
    """Refuse bombs before openpyxl parses anything: the packed-to-unpacked ratio of every XML part
    (zip headers bound what any reader unpacks), then the shared strings and cells, counted in one
    streaming pass over the XML bytes."""
    for info in zf.infolist():
        if info.file_size > 1 << 20 and info.file_size > MAX_XML_RATIO * max(info.compress_size, 1):
            raise TooLargeError(
                f"the workbook part {info.filename} unpacks {info.file_size // max(info.compress_size, 1)} "
                f"times its size (more than {MAX_XML_RATIO}); refused as a possible zip bomb"
            )
    for info in zf.infolist():
        name = info.filename.lower()
        if name.endswith("sharedstrings.xml"):
            _count_tags(zf, info, (b"<si>", b"<si "), MAX_SHARED_STRINGS, "shared strings")
        elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
            _count_tags(zf, info, (b"<c>", b"<c "), MAX_CELLS, "cells")


def _count_tags(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, tags: tuple[bytes, ...], limit: int, what: str
) -> None:
    count, tail = 0, b""
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            count += sum(buf.count(t) for t in tags)
            if count > limit:
                raise TooLargeError(
                    f"the workbook part {info.filename} has more than {limit} {what}; refused"
                )
            tail = buf[-4:]
            count -= sum(tail.count(t) for t in tags)  # counted again with the next chunk


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise InputError(f"the workbook cannot be read: {type(exc).__name__}") from None
    try:
        ws = wb.worksheets[0]
        for row in ws.iter_rows(values_only=True):
            yield list(row)
    finally:
        wb.close()


_SAVE_AS_UTF8 = "save the file as CSV UTF-8 (Excel: 另存为 → CSV UTF-8) and import it again"


def decode_text(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM) first, then GB 18030 only when the result
    is plausible Chinese; anything else is refused rather than guessed.

    GB 18030 decodes almost any byte string, Big5 included, into valid but wrong characters
    (mojibake). The decoded text is plausible when fewer than 2 % of its non-ASCII characters
    are *suspicious*: private-use characters (GB 18030's user-defined areas) or kana, Cyrillic,
    pinyin, bopomofo and box drawing (GBK lead bytes A4, A5, A7–A9). Chinese text in GB 2312, GBK
    or GB 18030 (simplified or traditional) has none; Big5 text read as GB 18030 is full of them,
    because Big5 puts its most frequent hanzi (一 人 大 中 …) under lead bytes A4–AF.

    >>> decode_text("江城农贸市场".encode("gb18030"))
    '江城农贸市场'
    >>> decode_text("江城農貿市場,電子計價秤".encode("big5"))
    Traceback (most recent call last):
    ...
    jiliang.errors.InputError: the CSV file is not UTF-8 and does not read as GB 18030 either (it may be Big5); save the file as CSV UTF-8 (Excel: 另存为 → CSV UTF-8) and import it again
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(f"the CSV file is neither UTF-8 nor GB 18030 text; {_SAVE_AS_UTF8}") from None
    wide = [c for c in text if ord(c) > 0x7F]
    if sum(1 for c in wide if _suspicious(c)) > len(wide) // 50:
        raise InputError(
            f"the CSV file is not UTF-8 and does not read as GB 18030 either (it may be Big5); {_SAVE_AS_UTF8}"
        )
    return text


@cache
def _suspicious(ch: str) -> bool:
    if 0xE000 <= ord(ch) <= 0xF8FF:
        return True  # private use: GB 18030's user-defined areas
    try:
        code = ch.encode("gbk")
    except UnicodeEncodeError:
        return False  # four-byte GB 18030 (rare hanzi, other scripts): not what Big5 turns into
    return len(code) == 2 and code[0] in _BIG5_LANDING


# GBK lead bytes of kana (A4, A5), Cyrillic (A7), pinyin and bopomofo (A8), box drawing (A9):
# where Big5's most frequent hanzi (leads A4–A9) land; Greek (A6) is left out, Ω and μ are units
_BIG5_LANDING = frozenset((0xA4, 0xA5, 0xA7, 0xA8, 0xA9))


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    text = decode_text(data)
    if "\x00" in text:
        raise InputError("the CSV file contains NUL bytes; it is not a text register")
    csv.field_size_limit(100_000)
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise InputError(f"the CSV file is malformed: {exc}") from None


def read_table(data: bytes, filename: str = "", max_bytes: int = 50 * 1024 * 1024) -> Iterator[list[Any]]:
    """The rows of the register (header first) from .xlsx or CSV bytes."""
    if len(data) > max_bytes:
        raise TooLargeError(f"the file has {len(data)} bytes, more than the limit of {max_bytes}")
    name = filename.lower()
    if name.endswith((".xlsm", ".xltm", ".xlam", ".xls")):
        raise InputError(f"{filename}: only .xlsx (without macros) and .csv are accepted")
    if _is_xlsx(data):
        _check_workbook(data, max_bytes)
        return _xlsx_rows(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError("legacy .xls workbooks are refused; save as .xlsx")
    return _csv_rows(data)


# ---------------------------------------------------------------- validating rows


def _header(row: list[Any]) -> dict[str, int]:
    """Column index of each field (Chinese or English header)."""
    cols: dict[str, int] = {}
    for i, cell in enumerate(row):
        if cell is None:
            continue
        key = _HEADER.get(str(cell).strip()) or _HEADER.get(str(cell).strip().lower())
        if key is None:
            continue
        if key in cols:
            raise InputError(f"column {key} appears twice in the header")
        cols[key] = i
    missing = [f for f, _zh, req, _n in COLUMNS if req and f not in cols]
    if missing:
        raise InputError(
            "the header lacks the column(s) "
            + ", ".join(missing)
            + " (Chinese or English headers; see the template)"
        )
    return cols


@dataclass(slots=True)
class _Row:
    line: int
    type_id: int
    serial: str
    serial_key: str
    owner_code: str
    owner_name: str
    use: str
    model: str | None
    manufacturer: str | None
    accuracy_class: str | None
    measuring_range: str | None
    location: str | None
    last_verified_on: date | None
    result: str | None
    certificate_no: str | None
    period_months: int | None


@cache
def _spec_cached(key: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int | None, int, bool], ...]:
    cols = dict(key)
    return tuple((name, cols.get(name), limit, req) for name, _zh, req, limit in COLUMNS)


def _spec(cols: dict[str, int]) -> tuple[tuple[str, int | None, int, bool], ...]:
    return _spec_cached(tuple(sorted(cols.items())))


def _cells(row: list[Any], spec: tuple[tuple[str, int | None, int, bool], ...]) -> dict[str, Any]:
    """The row's values by field, checked cell by cell (one pass, no per-cell call)."""
    out: dict[str, Any] = {}
    n = len(row)
    for name, i, limit, req in spec:
        value = row[i] if i is not None and i < n else None
        if value.__class__ is str:
            if value:
                if formula_like(value):
                    raise _Reject(name, _FORMULA_REASON)
                value = value.strip()
                if len(value) > limit:
                    raise _Reject(name, f"longer than {limit} characters")
                if _CONTROL.search(value):
                    raise _Reject(name, "contains control characters")
            if not value:
                value = None
        if value is None and req:
            raise _Reject(name, "required value is missing")
        out[name] = value
    return out


def _text(value: Any, name: str) -> str | None:
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, str | int | float):
        raise _Reject(name, f"unexpected value {value!r}")
    return str(value)


def _validate(
    row: list[Any],
    line: int,
    cols: tuple[tuple[str, int | None, int, bool], ...],
    types: dict[str, int],
    periods: dict[int, int],
    today: date,
) -> _Row:
    """One register row checked and converted, or :class:`_Reject` naming the column and reason."""
    v = _cells(row, cols)
    type_id = _row_type(v, types)
    use = _row_use(v)
    code = _row_owner_code(v)
    last, result = _row_verification(v, today)
    period = _row_period(v)
    serial = _text(v["serial"], "serial") or ""
    key = identity_text(serial)
    if not key:
        raise _Reject("serial", "required value is missing (only invisible characters)")
    return _Row(
        line=line,
        type_id=type_id,
        serial=serial,
        serial_key=key,
        owner_code=code,
        owner_name=_text(v["owner_name"], "owner_name") or "",
        use=use,
        model=_text(v["model"], "model"),
        manufacturer=_text(v["manufacturer"], "manufacturer"),
        accuracy_class=_text(v["accuracy_class"], "accuracy_class"),
        measuring_range=_text(v["measuring_range"], "measuring_range"),
        location=_text(v["location"], "location"),
        last_verified_on=last,
        result=result,
        certificate_no=_text(v["certificate_no"], "certificate_no"),
        period_months=period,
    )


def _row_type(v: dict[str, Any], types: dict[str, int]) -> int:
    """The instrument type named in the row (by name, alias or normalised name)."""
    tname = _text(v["type"], "type") or ""
    type_id = types.get(tname)
    if type_id is None:
        type_id = types.get(catalogue.normalize_name(tname))
    if type_id is None:
        raise _Reject("type", f"unknown instrument type {tname!r}")
    return type_id


def _row_use(v: dict[str, Any]) -> str:
    """The use of the instrument named in the row (Chinese or English name)."""
    use_text = (_text(v["use"], "use") or "").strip()
    use = USE_NAMES.get(use_text) or USE_NAMES.get(use_text.lower())
    if use is None:
        raise _Reject("use", f"unknown use {use_text!r} (贸易结算, 安全防护, 医疗卫生, 环境监测)")
    return use


def _row_owner_code(v: dict[str, Any]) -> str:
    """The owner's unified social credit code, checked (GB 32100) and remembered once valid."""
    raw_code = _text(v["owner_credit_code"], "owner_credit_code") or ""
    code = _CODES.get(raw_code)
    if code is None:
        try:
            code = credit_code.validate(raw_code)
        except InputError as exc:
            raise _Reject("owner_credit_code", exc.message) from None
        if len(_CODES) < 100_000:
            _CODES[raw_code] = code
    return code


def _row_verification(v: dict[str, Any], today: date) -> tuple[date | None, str | None]:
    """The last verification's date and result: both or neither, the date not in the future."""
    last: date | None = None
    if v["last_verified_on"] is not None:
        try:
            last = parse_date(v["last_verified_on"])
        except InputError as exc:
            raise _Reject("last_verified_on", exc.message) from None
        if last > today:
            raise _Reject("last_verified_on", f"{last} is in the future")
        if last < _EARLIEST:
            raise _Reject("last_verified_on", f"{last} is before {_EARLIEST}")
    result = None
    if v["verification_result"] is not None:
        rtext = str(v["verification_result"]).strip()
        result = RESULT_NAMES.get(rtext) or RESULT_NAMES.get(rtext.lower())
        if result is None:
            raise _Reject("verification_result", f"unknown result {rtext!r} (合格/不合格, pass/fail)")
    if last is None and (result is not None or v["certificate_no"] is not None):
        raise _Reject("last_verified_on", "a result or certificate needs the date of verification")
    if last is not None and result is None:
        raise _Reject("verification_result", "the result of the verification is missing")
    return last, result


def _row_period(v: dict[str, Any]) -> int | None:
    """The verification period the row sets (whole months, 1–240), or None for the type's own."""
    if v["verification_period_months"] is None:
        return None
    try:
        p = float(v["verification_period_months"])
    except (TypeError, ValueError):
        raise _Reject(
            "verification_period_months", f"{v['verification_period_months']!r} is not a number"
        ) from None
    if not p.is_integer() or not 1 <= p <= 240:
        raise _Reject(
            "verification_period_months", f"{v['verification_period_months']!r} is not 1–240 months"
        )
    return int(p)


# ---------------------------------------------------------------- storing

_COMPARED = (
    "model",
    "manufacturer",
    "accuracy_class",
    "measuring_range",
    "location",
    "use",
    "period_months",
    "last_verified_on",
    "last_result",
)


def _bulk_insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with the driver's executemany, values converted by the column types'
    own bind processors (what SQLAlchemy would do, without its per-row bookkeeping)."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    procs = [table.c[n].type._cached_bind_processor(dialect) for n in names]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"  # noqa: S608 - names from the table
    # Registers repeat the same dates (and one creation time): convert each distinct value once.
    memo: list[dict[Any, Any] | None] = [{} if p is not None else None for p in procs]
    idx = range(len(names))

    def convert(r: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for k in idx:
            v = r[names[k]]
            m = memo[k]
            if m is not None and v is not None:
                c = m.get(v)
                if c is None:
                    c = m[v] = procs[k](v)
                v = c
            out.append(v)
        return tuple(out)

    for chunk in _chunks(rows, 10_000):
        conn.exec_driver_sql(sql, [convert(r) for r in chunk])


def _chunks(items: list[Any], n: int = 500) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def import_register(
    session: Session,
    data: bytes,
    filename: str = "",
    *,
    today: date,
    max_bytes: int = 50 * 1024 * 1024,
    commit: bool = True,
    owner_id: int | None = None,
) -> ImportReport:
    """Validate and store a register; with ``commit=False`` only report what would happen.

    With ``owner_id`` (an owner importing its own register) every row must name that
    organisation's credit code; a row naming another owner is rejected with a reason, and no
    owner is ever created.

    Raises :class:`~jiliang.errors.InputError` / :class:`~jiliang.errors.TooLargeError` when the
    file as a whole is refused (nothing is stored then).
    """
    types = catalogue.resolver(session)
    if not types:
        catalogue.sync(session, today)
        types = catalogue.resolver(session)
    periods = dict(session.execute(select(InstrumentType.id, InstrumentType.period_months)).tuples().all())
    rows_iter = read_table(data, filename, max_bytes)
    report = ImportReport()
    header = next(rows_iter, None)
    if header is None:
        raise InputError("the file is empty")
    cols = _header(header)
    titles = {f: str(header[i]).strip() for f, i in cols.items()}
    own_code = _own_code(session, owner_id)
    good = _accepted_rows(rows_iter, _spec(cols), titles, types, periods, today, own_code, report)
    report.rejected = len(report.rows)
    _store(session, good, periods, today, report, commit)
    report.committed = commit
    return report


def _accepted_rows(
    rows_iter: Iterator[list[Any]],
    spec: tuple[tuple[str, int | None, int, bool], ...],
    titles: dict[str, str],
    types: dict[str, int],
    periods: dict[int, int],
    today: date,
    own_code: str | None,
    report: ImportReport,
) -> list[_Row]:
    """The rows after the header that pass every check; each other row's reason goes to ``report``.

    Blank rows are skipped; a row naming another owner than ``own_code`` (when given) or repeating
    an earlier row's owner, type and serial is rejected.
    """
    good: list[_Row] = []
    seen: dict[tuple[str, int, str], int] = {}
    for line, row in enumerate(rows_iter, start=2):
        if line > MAX_ROWS + 1:
            raise TooLargeError(f"the register has more than {MAX_ROWS} rows")
        if not any(c is not None and str(c).strip() for c in row):
            continue
        try:
            r = _validate(row, line, spec, types, periods, today)
        except _Reject as rej:
            title = titles.get(rej.column)
            reason = f"column {title!r}: {rej.reason}" if rej.reason is _FORMULA_REASON else rej.reason
            report.rows.append(RowError(line, rej.column, reason, title))
            continue
        if own_code is not None and r.owner_code != own_code:
            report.rows.append(
                RowError(
                    line,
                    "owner_credit_code",
                    f"the owner {r.owner_code} is not your organisation ({own_code}); "
                    "you may import only your own instruments",
                    titles.get("owner_credit_code"),
                )
            )
            continue
        ident = (r.owner_code, r.type_id, r.serial_key)
        first = seen.get(ident)
        if first is not None:
            report.rows.append(
                RowError(line, "serial", f"same owner, type and serial as line {first}", titles.get("serial"))
            )
            continue
        seen[ident] = line
        good.append(r)
    return good


def _own_code(session: Session, owner_id: int | None) -> str | None:
    if owner_id is None:
        return None
    code = session.scalar(select(Organization.credit_code).where(Organization.id == owner_id))
    if not code:
        raise InputError("your organisation has no credit code on record; ask the regulator to add it")
    return str(code)


@dataclass(frozen=True, slots=True)
class ValidRow:
    """One instrument's fields as the importer accepted them (see :func:`validate_fields`)."""

    type_id: int
    serial: str
    serial_key: str
    use: str
    model: str | None
    manufacturer: str | None
    accuracy_class: str | None
    measuring_range: str | None
    location: str | None
    period_months: int | None
    last_verified_on: date | None
    result: str | None
    certificate_no: str | None


def validate_fields(
    session: Session, fields: dict[str, Any], *, owner_name: str, owner_code: str, today: date
) -> ValidRow:
    """Check one instrument entered in a form with the import's row rules.

    ``fields`` holds the import columns by field name (``type`` may be the type's name, an alias
    or its catalogue code); the owner's columns come from the arguments. Raises
    :class:`~jiliang.errors.InputError` whose ``fields`` name the offending column.
    """
    from jiliang.errors import FieldError

    types = catalogue.resolver(session)
    if not types:
        catalogue.sync(session, today)
        types = catalogue.resolver(session)
    cells = dict(fields) | {"owner_name": owner_name, "owner_credit_code": owner_code}
    row = [cells.get(f) for f in FIELDS]
    try:
        r = _validate(row, 1, _spec({f: i for i, f in enumerate(FIELDS)}), types, {}, today)
    except _Reject as rej:
        raise InputError(f"{rej.column}: {rej.reason}", fields=[FieldError(rej.column, rej.reason)]) from None
    return ValidRow(
        type_id=r.type_id,
        serial=r.serial,
        serial_key=r.serial_key,
        use=r.use,
        model=r.model,
        manufacturer=r.manufacturer,
        accuracy_class=r.accuracy_class,
        measuring_range=r.measuring_range,
        location=r.location,
        period_months=r.period_months,
        last_verified_on=r.last_verified_on,
        result=r.result,
        certificate_no=r.certificate_no,
    )


def _store(
    session: Session,
    good: list[_Row],
    periods: dict[int, int],
    today: date,
    report: ImportReport,
    commit: bool,
) -> None:
    """Store the accepted rows (or, without ``commit``, only count what would be stored).

    Owners are found or created, each row is matched with the instrument already registered,
    new and changed instruments are written with their verifications, and every stored row is
    audited.
    """
    codes = sorted({r.owner_code for r in good})
    owners = _known_owners(session, codes)
    new_owners = [c for c in codes if c not in owners]
    report.owners_created = len(new_owners)
    if new_owners and commit:
        _create_owners(session, good, new_owners, owners)
    existing = _existing_instruments(session, sorted({owners[c][0] for c in codes if c in owners}))
    inserts, updates, verifs = _plan_changes(good, owners, existing, periods, today, report, commit)
    report.accepted = report.created + report.updated
    if not commit:
        return
    _write_changes(session, inserts, updates, verifs)


def _known_owners(session: Session, codes: list[str]) -> dict[str, tuple[int, int | None]]:
    """The organisations already on record by credit code: their id and district."""
    owners: dict[str, tuple[int, int | None]] = {}
    for chunk in _chunks(codes):
        for oid, code, did in session.execute(
            select(Organization.id, Organization.credit_code, Organization.district_id).where(
                Organization.credit_code.in_(chunk)
            )
        ):
            owners[code] = (oid, did)
    return owners


def _create_owners(
    session: Session, good: list[_Row], new_owners: list[str], owners: dict[str, tuple[int, int | None]]
) -> None:
    """Create (and audit) an organisation for each new credit code, named as its first row names it.

    The new owners are added to ``owners`` (with no district).
    """
    names: dict[str, str] = {}
    for r in good:
        names.setdefault(r.owner_code, r.owner_name)
    values = [{"name": names[c][:200], "kind": OrgKind.OTHER.value, "credit_code": c} for c in new_owners]
    ids = session.execute(
        insert(Organization).returning(
            Organization.id, Organization.credit_code, sort_by_parameter_order=True
        ),
        values,
    ).all()
    for oid, code in ids:
        owners[code] = (oid, None)
    record(
        session,
        [
            AuditChange("insert", "organization", str(oid), None, v, "register import")
            for (oid, _c), v in zip(ids, values, strict=True)
        ],
    )


def _existing_instruments(session: Session, owner_ids: list[int]) -> dict[tuple[int, int, str], Any]:
    """The instruments these owners already have, by (owner, type, serial key), with the compared fields."""
    existing: dict[tuple[int, int, str], Any] = {}
    cols = [
        getattr(Instrument, c)
        for c in (
            "id",
            "owner_id",
            "type_id",
            "serial_key",
            *_COMPARED[:-2],
            "last_verified_on",
            "last_result",
        )
    ]
    for chunk in _chunks(owner_ids, 200):
        for row in session.execute(select(*cols).where(Instrument.owner_id.in_(chunk))):
            existing[(row.owner_id, row.type_id, row.serial_key)] = row
    return existing


_Verif = tuple[int | None, int, _Row, date | None]
"""A verification to store: (instrument id or None, index in the inserts, row, next due date)."""


def _plan_changes(
    good: list[_Row],
    owners: dict[str, tuple[int, int | None]],
    existing: dict[tuple[int, int, str], Any],
    periods: dict[int, int],
    today: date,
    report: ImportReport,
    commit: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[_Verif]]:
    """Sort the rows into new instruments, changes to registered ones and verifications to add.

    Counts created, updated and unchanged rows in ``report``; without ``commit`` no insert is planned.
    """
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    verifs: list[_Verif] = []
    for r in good:
        period = r.period_months or periods[r.type_id]
        due = add_months(r.last_verified_on, period) if r.last_verified_on else None
        fields = {
            "model": r.model,
            "manufacturer": r.manufacturer,
            "accuracy_class": r.accuracy_class,
            "measuring_range": r.measuring_range,
            "location": r.location,
            "use": r.use,
            "period_months": r.period_months,
            "last_verified_on": r.last_verified_on,
            "last_result": r.result,
        }
        owner = owners.get(r.owner_code)
        old = existing.get((owner[0], r.type_id, r.serial_key)) if owner else None
        if old is not None:
            changed = _changed_fields(old, r, fields, due, today)
            if changed is None:
                report.unchanged += 1
                continue
            if "next_due_on" in changed:
                verifs.append((old.id, -1, r, due))
            updates.append(changed)
            report.updated += 1
            continue
        report.created += 1
        if not commit:
            continue
        inserts.append(_new_instrument(r, fields, owner, due, today))
        if r.last_verified_on:
            verifs.append((None, len(inserts) - 1, r, due))
    return inserts, updates, verifs


def _changed_fields(
    old: Any, r: _Row, fields: dict[str, Any], due: date | None, today: date
) -> dict[str, Any] | None:
    """The update a row makes to a registered instrument (with its ``id``), or None if it changes nothing.

    An older or absent verification never rolls the register back; a newer one sets the next due
    date and the status (and then the update holds ``next_due_on``).
    """
    if all(getattr(old, k) == fields[k] for k in _COMPARED):
        return None
    changed = {k: v for k, v in fields.items() if getattr(old, k) != v}
    if r.last_verified_on is None or (old.last_verified_on and r.last_verified_on <= old.last_verified_on):
        for k in ("last_verified_on", "last_result"):
            changed.pop(k, None)
        if not changed:
            return None
    else:
        changed["next_due_on"] = due
        changed["status"] = status_for(due, r.result, today)
    changed["id"] = old.id
    return changed


def _new_instrument(
    r: _Row, fields: dict[str, Any], owner: tuple[int, int | None] | None, due: date | None, today: date
) -> dict[str, Any]:
    """The values of a new instrument row (compulsory verification, status from its last result)."""
    return fields | {
        "type_id": r.type_id,
        "owner_id": owner[0] if owner else None,
        "district_id": owner[1] if owner else None,
        "serial": r.serial,
        "serial_key": r.serial_key,
        "status": status_for(due, r.result, today),
        "compulsory": True,
        "next_due_on": due,
    }


def _write_changes(
    session: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]], verifs: list[_Verif]
) -> None:
    """Write the planned instruments, updates and verifications, and audit every stored row."""
    from jiliang.platform.db import utcnow

    conn = session.connection()
    big_sqlite = conn.dialect.name == "sqlite" and len(inserts) > 5000
    if big_sqlite:
        # a large import touches every page of eight indexes: give SQLite a page cache to match
        conn.exec_driver_sql("PRAGMA cache_size=-131072")
    now = utcnow()
    for ins in inserts:
        ins["created_at"] = now
    _bulk_insert(session, Instrument.__table__, inserts)
    new_ids = _inserted_ids(session, inserts)
    if updates:
        session.execute(update(Instrument), updates)
    vrows = [
        {
            "instrument_id": iid if iid is not None else new_ids[idx],
            "lab_id": None,
            "kind": "verification",
            "verified_on": r.last_verified_on,
            "result": r.result,
            "certificate_no": r.certificate_no,
            "next_due_on": due,
            "created_at": now,
        }
        for iid, idx, r, due in verifs
    ]
    _bulk_insert(session, Verification.__table__, vrows)
    _audit_stored(session, new_ids, inserts, updates, vrows)
    if big_sqlite:
        conn.exec_driver_sql("PRAGMA cache_size=-2000")  # back to SQLite's default for the pooled connection


def _inserted_ids(session: Session, inserts: list[dict[str, Any]]) -> list[int]:
    """The ids the database gave the inserted instruments, in the order of ``inserts``."""
    if not inserts:
        return []
    wanted = {(r["owner_id"], r["type_id"], r["serial_key"]) for r in inserts}
    found: dict[tuple[int, int, str], int] = {}
    for chunk in _chunks(sorted({r["owner_id"] for r in inserts}), 200):
        for iid, oid, tid, key in session.execute(
            select(Instrument.id, Instrument.owner_id, Instrument.type_id, Instrument.serial_key).where(
                Instrument.owner_id.in_(chunk)
            )
        ):
            if (oid, tid, key) in wanted:
                found[(oid, tid, key)] = iid
    return [found[(r["owner_id"], r["type_id"], r["serial_key"])] for r in inserts]


def _audit_stored(
    session: Session,
    new_ids: list[int],
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    vrows: list[dict[str, Any]],
) -> None:
    """One audit entry per stored register row: the instrument with the verification it brought."""
    verified = {v["instrument_id"]: v for v in vrows}
    changes = [
        AuditChange(
            "insert",
            "reg_instrument",
            str(i),
            None,
            _audit_view(v, verified.get(i), compact=True),
            "register import",
        )
        for i, v in zip(new_ids, inserts, strict=True)
    ]
    changes.extend(
        AuditChange(
            "update",
            "reg_instrument",
            str(u["id"]),
            None,
            _audit_view(u, verified.get(u["id"]), compact=False),
            "register import",
        )
        for u in updates
    )
    record(session, changes)


_AUDITED_ON_INSERT = (
    "owner_id",
    "type_id",
    "serial",
    "status",
    "next_due_on",
    "last_verified_on",
    "last_result",
)


def _audit_view(
    values: dict[str, Any], verification: dict[str, Any] | None, *, compact: bool
) -> dict[str, Any]:
    """The audit record of a stored register row, as plain JSON values.

    A new instrument is recorded by its identity and state (owner, type, serial, status, due date,
    last verification and certificate); its descriptive fields stay in the row. A change records
    every changed field.
    """
    keys = _AUDITED_ON_INSERT if compact else tuple(k for k in values if k != "created_at")
    out = {k: (v.isoformat() if isinstance(v, date) else v) for k in keys if (v := values.get(k)) is not None}
    if verification is not None and verification["certificate_no"]:
        out["certificate_no"] = verification["certificate_no"]
    return out


def template_csv() -> bytes:
    """The import template: bilingual header (Chinese) and one example row, as UTF-8 CSV with BOM."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c[1] for c in COLUMNS])
    w.writerow(
        [
            "电子计价秤",
            "ACS-15",
            "SN0001",
            "某某衡器有限公司",
            "III",
            "(0~15)kg",
            "某某农贸市场",
            "91449901MA0000000E",
            "1号摊位",
            "贸易结算",
            "2025-03-01",
            "合格",
            "JD2025-0001",
            "12",
        ]
    )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
