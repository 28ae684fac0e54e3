"""Reading the cheating checks' CSV files: totalisers, tank gauge, dispenser event log, charger
registers and sessions. Every bad input is refused whole with a one-line reason naming the line;
the error's ``code`` (``cheat_…``) and ``details`` (``file``, ``line``, ``column``) let the console
say it in the user's language.

Columns (a header line first, UTF-8, comma-separated; times ISO 8601 with an offset, or epoch s):

- totalisers: ``ts, nozzle_id, dispenser_id, tank_id, totaliser_l``
- tank: ``ts, tank_id, volume_l, temperature_c, delivery_l`` (``delivery_l`` empty or 0 without a delivery)
- events: ``ts, dispenser_id, kind, detail``
- registers: ``ts, device_id, role, register_kwh`` (``role`` is ``upstream`` for the site meter, once, or ``charger``)
- sessions: ``charger_id, start, energy_kwh, vehicle_kwh`` (``vehicle_kwh`` may be empty)

Examples
--------
>>> rows = read_csv(b"ts,tank_id\\n0,T1\\n", ("ts", "tank_id"), "tank")
>>> rows
[{'ts': '0', 'tank_id': 'T1'}]
>>> parse_ts("2026-01-01T08:00:00+08:00", "tank", 2)
1767225600.0
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import numpy as np

from jiliang.errors import InputError, TooLargeError
from jiliang.meters.chargers import ChargerSite, Session
from jiliang.meters.dispensers import EVENT_KINDS, DispenserEvent, NozzleSeries, StationData, TankSeries
from jiliang.platform.uploads import AsyncReadable, read_limited

__all__ = [
    "EVENT_COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "REGISTER_COLUMNS",
    "SESSION_COLUMNS",
    "TANK_COLUMNS",
    "TOTALISER_COLUMNS",
    "charger_csv",
    "parse_charger_site",
    "parse_station",
    "parse_ts",
    "read_csv",
    "read_upload",
    "station_csv",
]

TOTALISER_COLUMNS = ("ts", "nozzle_id", "dispenser_id", "tank_id", "totaliser_l")
TANK_COLUMNS = ("ts", "tank_id", "volume_l", "temperature_c", "delivery_l")
EVENT_COLUMNS = ("ts", "dispenser_id", "kind", "detail")
REGISTER_COLUMNS = ("ts", "device_id", "role", "register_kwh")
SESSION_COLUMNS = ("charger_id", "start", "energy_kwh", "vehicle_kwh")
MAX_BYTES = 32 * 1024 * 1024
MAX_ROWS = 500_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
_EPOCH_RANGE = (946_684_800.0, 4_102_444_800.0)  # 2000 … 2100


async def read_upload(upload: AsyncReadable, name: str, limit: int) -> bytes:
    """The bytes of the uploaded file ``name``: refused past ``limit`` bytes or when empty, with codes."""

    def too_large() -> TooLargeError:
        return TooLargeError(
            f"{name}: file larger than {limit} bytes",
            code="cheat_file_too_large",
            details={"file": name, "limit_mb": round(limit / 1048576, 1)},
        )

    data = await read_limited(upload, limit, too_large)
    if not data:
        raise InputError(f"{name}: the file is empty", code="cheat_empty", details={"file": name})
    return data


def _bad(what: str, line: int | None, code: str, message: str, **details: object) -> InputError:
    """A refusal naming the file and line; ``code`` is ``cheat_<code>``."""
    where = f"{what} file" if line is None else f"{what} file, line {line}"
    info: dict[str, object] = {"file": what, **details}
    if line is not None:
        info["line"] = line
    return InputError(f"{where}: {message}", code=f"cheat_{code}", details=info)


@contextmanager
def _core(what: str, line: int | None = None) -> Iterator[None]:
    """The checks of the data types themselves (times increase, registers never go back, …),
    refused as data of this file."""
    try:
        yield
    except InputError as exc:
        if exc.code.startswith("cheat_"):
            raise
        raise _bad(what, line, "data_rejected", exc.message) from None


def read_csv(
    data: bytes, columns: Sequence[str], what: str, max_bytes: int = MAX_BYTES
) -> list[dict[str, str]]:
    """Rows of a CSV file with exactly these columns (in any order); refused whole if malformed."""
    if len(data) > max_bytes:
        raise TooLargeError(
            f"{what} file is {len(data)} bytes, more than the limit of {max_bytes}",
            code="cheat_file_too_large",
            details={"file": what, "limit_mb": round(max_bytes / 1048576, 1)},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad(what, None, "not_utf8", "not UTF-8 text") from None
    if "\x00" in text:
        raise _bad(what, None, "nul_bytes", "contains NUL bytes")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise _bad(what, None, "empty", "the file is empty") from None
    except csv.Error as exc:
        raise _bad(what, 1, "csv_syntax", str(exc)) from None
    if sorted(header) != sorted(columns):
        raise _bad(
            what, 1, "columns", f"needs the columns {', '.join(columns)}; found {', '.join(header)[:200]}"
        )
    rows: list[dict[str, str]] = []
    try:
        for line in reader:
            if not line:
                continue
            if len(line) != len(header):
                raise _bad(
                    what,
                    reader.line_num,
                    "field_count",
                    f"{len(line)} fields, expected {len(header)}",
                    found=len(line),
                    expected=len(header),
                )
            rows.append(dict(zip(header, (v.strip() for v in line), strict=True)))
            if len(rows) > MAX_ROWS:
                raise TooLargeError(
                    f"{what} file has more than {MAX_ROWS} rows",
                    code="cheat_too_many_rows",
                    details={"file": what, "limit": MAX_ROWS},
                )
    except csv.Error as exc:
        raise _bad(what, reader.line_num, "csv_syntax", str(exc)) from None
    if not rows:
        raise _bad(what, None, "empty", "the file has no rows")
    return rows


def parse_ts(value: str, what: str, line: int) -> float:
    """Epoch seconds from ISO 8601 with an offset, or from epoch seconds (2000–2100)."""
    try:
        ts = float(value)
    except ValueError:
        ts = _iso(value, what, line)
    if not (math.isfinite(ts) and _EPOCH_RANGE[0] <= ts <= _EPOCH_RANGE[1]):
        raise _bad(what, line, "time_range", f"time {value[:40]!r} is outside 2000–2100")
    return ts


def _iso(value: str, what: str, line: int) -> float:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(what, line, "not_time", f"{value[:40]!r} is not a time") from None
    if dt.tzinfo is None:
        raise _bad(what, line, "time_offset", f"time {value[:40]!r} needs an offset (e.g. +08:00)")
    return dt.timestamp()


def _num(value: str, what: str, line: int, name: str, empty: float | None = None) -> float:
    if value == "" and empty is not None:
        return empty
    try:
        v = float(value)
    except ValueError:
        raise _bad(what, line, "not_number", f"{name} {value[:40]!r} is not a number", column=name) from None
    if not math.isfinite(v) or abs(v) > 1e12:
        raise _bad(what, line, "not_number", f"{name} {value[:40]!r} is not a finite number", column=name)
    return v


def _id(value: str, what: str, line: int, name: str) -> str:
    if not _ID.match(value):
        raise _bad(
            what,
            line,
            "identifier",
            f"{name} {value[:40]!r} is not an identifier (letters, digits, _.:-)",
            column=name,
        )
    return value


def _unique_times(keyed: dict[tuple[str, float], float], what: str, key: str, ts: float, line: int) -> None:
    if (key, ts) in keyed:
        raise _bad(what, line, "duplicate_time", f"{key} is read twice at the same time")


def _tanks(rows: list[dict[str, str]]) -> dict[str, dict[float, tuple[float, float, float]]]:
    out: dict[str, dict[float, tuple[float, float, float]]] = {}
    for i, r in enumerate(rows, start=2):
        tid = _id(r["tank_id"], "tank", i, "tank_id")
        ts = parse_ts(r["ts"], "tank", i)
        if ts in out.get(tid, {}):
            raise _bad("tank", i, "duplicate_time", f"{tid} is read twice at the same time")
        vol = _num(r["volume_l"], "tank", i, "volume_l")
        temp = _num(r["temperature_c"], "tank", i, "temperature_c")
        dl = _num(r["delivery_l"], "tank", i, "delivery_l", empty=0.0)
        if vol < 0 or dl < 0 or not -60 <= temp <= 80:
            raise _bad("tank", i, "tank_values", "volume and delivery must be ≥ 0, temperature −60…80 °C")
        out.setdefault(tid, {})[ts] = (vol, temp, dl)
    return out


def parse_station(
    station_id: str, totalisers: bytes, tank: bytes, events: bytes | None
) -> tuple[StationData, list[DispenserEvent], int]:
    """The station's data and events; the count of readings dropped because a nozzle missed them."""
    tanks = _tanks(read_csv(tank, TANK_COLUMNS, "tank"))
    nozzles: dict[str, tuple[str, str, dict[float, float]]] = {}
    for i, r in enumerate(read_csv(totalisers, TOTALISER_COLUMNS, "totalisers"), start=2):
        nid = _id(r["nozzle_id"], "totalisers", i, "nozzle_id")
        did = _id(r["dispenser_id"], "totalisers", i, "dispenser_id")
        tid = _id(r["tank_id"], "totalisers", i, "tank_id")
        if tid not in tanks:
            raise _bad("totalisers", i, "unknown_tank", f"tank {tid} is not in the tank file")
        entry = nozzles.setdefault(nid, (did, tid, {}))
        if entry[:2] != (did, tid):
            raise _bad("totalisers", i, "nozzle_moves", f"nozzle {nid} changes dispenser or tank")
        ts = parse_ts(r["ts"], "totalisers", i)
        if ts in entry[2]:
            raise _bad("totalisers", i, "duplicate_time", f"{nid} is read twice at the same time")
        entry[2][ts] = _num(r["totaliser_l"], "totalisers", i, "totaliser_l")
    tank_series, noz_series, dropped = [], [], 0
    for tid in sorted(tanks):
        members = sorted(n for n, (_, t, _) in nozzles.items() if t == tid)
        common = set(tanks[tid])
        for n in members:
            common &= set(nozzles[n][2])
        dropped += len(tanks[tid]) - len(common)
        times = sorted(common)
        if members and len(times) < 3:
            raise _bad(
                "totalisers",
                None,
                "too_few_times",
                f"tank {tid}: fewer than 3 times read on the gauge and every nozzle",
            )
        vals = np.array([tanks[tid][t] for t in times], dtype=np.float64).reshape(-1, 3)
        with _core("tank"):
            tank_series.append(
                TankSeries(tid, np.array(times, dtype=np.float64), vals[:, 0], vals[:, 1], vals[:, 2])
            )
        with _core("totalisers"):
            noz_series += [
                NozzleSeries(
                    n, nozzles[n][0], tid, np.array([nozzles[n][2][t] for t in times], dtype=np.float64)
                )
                for n in members
            ]
    if not noz_series:
        raise _bad("totalisers", None, "no_nozzle", "names no nozzle of the tanks")
    evs = _events(events) if events else []
    with _core("totalisers"):
        station = StationData(station_id, tuple(tank_series), tuple(noz_series))
    return station, evs, dropped


def _events(data: bytes) -> list[DispenserEvent]:
    out = []
    for i, r in enumerate(read_csv(data, EVENT_COLUMNS, "events"), start=2):
        did = _id(r["dispenser_id"], "events", i, "dispenser_id")
        ts = parse_ts(r["ts"], "events", i)
        if r["kind"] not in EVENT_KINDS:
            raise _bad("events", i, "event_kind", f"unknown event kind {r['kind'][:40]!r}")
        with _core("events", i):
            out.append(DispenserEvent(did, ts, r["kind"], r["detail"][:200]))
    return out


def _registers(data: bytes) -> tuple[dict[str, dict[float, float]], str]:
    """Readings per device, and the upstream meter's id."""
    regs: dict[str, dict[float, float]] = {}
    upstream: str | None = None
    for i, r in enumerate(read_csv(data, REGISTER_COLUMNS, "registers"), start=2):
        dev = _id(r["device_id"], "registers", i, "device_id")
        if r["role"] not in ("upstream", "charger"):
            raise _bad("registers", i, "role", f"role {r['role'][:20]!r} is not upstream or charger")
        if r["role"] == "upstream":
            if upstream not in (None, dev):
                raise _bad("registers", i, "two_upstream", f"a second upstream meter {dev}")
            upstream = dev
        elif dev == upstream:
            raise _bad("registers", i, "upstream_charger", f"{dev} is both upstream and a charger")
        ts = parse_ts(r["ts"], "registers", i)
        if ts in regs.get(dev, {}):
            raise _bad("registers", i, "duplicate_time", f"{dev} is read twice at the same time")
        regs.setdefault(dev, {})[ts] = _num(r["register_kwh"], "registers", i, "register_kwh")
    if upstream is None:
        raise _bad("registers", None, "no_upstream", "no row with role upstream (the site meter)")
    if upstream in regs and len(regs) == 1:
        raise _bad("registers", None, "no_charger", "no charger")
    return regs, upstream


def _sessions(data: bytes) -> list[Session]:
    out: list[Session] = []
    for i, r in enumerate(read_csv(data, SESSION_COLUMNS, "sessions"), start=2):
        cid = _id(r["charger_id"], "sessions", i, "charger_id")
        veh = None if r["vehicle_kwh"] == "" else _num(r["vehicle_kwh"], "sessions", i, "vehicle_kwh")
        start = parse_ts(r["start"], "sessions", i)
        energy = _num(r["energy_kwh"], "sessions", i, "energy_kwh")
        with _core("sessions", i):
            out.append(Session(cid, start, energy, veh))
    return out


def parse_charger_site(
    site_id: str, registers: bytes, sessions: bytes | None
) -> tuple[ChargerSite, list[Session]]:
    """A charging site's registers (the upstream meter and each charger) and its sessions."""
    regs, upstream = _registers(registers)
    chargers = tuple(sorted(d for d in regs if d != upstream))
    common = set(regs[upstream])
    for c in chargers:
        common &= set(regs[c])
    times = sorted(common)
    with _core("registers"):
        site = ChargerSite(
            site_id,
            np.array(times, dtype=np.float64),
            np.array([regs[upstream][t] for t in times], dtype=np.float64),
            chargers,
            np.array([[regs[c][t] for t in times] for c in chargers], dtype=np.float64).reshape(
                len(chargers), len(times)
            ),
        )
    return site, _sessions(sessions) if sessions else []


def _write(columns: Sequence[str], rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def station_csv(data: StationData, events: Sequence[DispenserEvent]) -> dict[str, bytes]:
    """The three files of a station (``totalisers``, ``tank``, ``events``), epoch-second times."""
    tank_rows: list[list[object]] = []
    tot_rows: list[list[object]] = []
    ts_of = {}
    for t in data.tanks:
        ts_of[t.tank_id] = t.ts
        for j in range(len(t.ts)):
            dl = f"{t.delivery_l[j]:.1f}" if t.delivery_l[j] > 0 else ""
            tank_rows.append(
                [int(t.ts[j]), t.tank_id, f"{t.volume_l[j]:.1f}", f"{t.temperature_c[j]:.2f}", dl]
            )
    for nz in data.nozzles:
        for j, v in enumerate(nz.totaliser_l):
            tot_rows.append(
                [int(ts_of[nz.tank_id][j]), nz.nozzle_id, nz.dispenser_id, nz.tank_id, f"{v:.2f}"]
            )
    ev_rows: list[list[object]] = [[int(e.ts), e.dispenser_id, e.kind, e.detail] for e in events]
    return {
        "totalisers": _write(TOTALISER_COLUMNS, tot_rows),
        "tank": _write(TANK_COLUMNS, tank_rows),
        "events": _write(EVENT_COLUMNS, ev_rows),
    }


def charger_csv(site: ChargerSite, sessions: Sequence[Session], upstream_id: str = "UP") -> dict[str, bytes]:
    """The two files of a charging site (``registers``, ``sessions``), epoch-second times."""
    rows: list[list[object]] = []
    for j, t in enumerate(site.ts):
        rows.append([int(t), upstream_id, "upstream", f"{site.upstream_kwh[j]:.3f}"])
        rows.extend(
            [int(t), c, "charger", f"{site.charger_kwh[i, j]:.3f}"] for i, c in enumerate(site.charger_ids)
        )
    ses = [
        [
            s.charger_id,
            int(s.start_ts),
            f"{s.energy_kwh:.3f}",
            "" if s.vehicle_kwh is None else f"{s.vehicle_kwh:.3f}",
        ]
        for s in sessions
    ]
    return {"registers": _write(REGISTER_COLUMNS, rows), "sessions": _write(SESSION_COLUMNS, ses)}
