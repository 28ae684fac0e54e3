"""Reading the cheating checks' CSV files: totalisers, tank gauge, dispenser event log, charger
registers and sessions. Every bad input is refused whole with a one-line reason naming the line.

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
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from jiliang.errors import InputError, TooLargeError
from jiliang.meters.chargers import ChargerSite, Session
from jiliang.meters.dispensers import DispenserEvent, NozzleSeries, StationData, TankSeries

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


def read_csv(
    data: bytes, columns: Sequence[str], what: str, max_bytes: int = MAX_BYTES
) -> list[dict[str, str]]:
    """Rows of a CSV file with exactly these columns (in any order); refused whole if malformed."""
    if len(data) > max_bytes:
        raise TooLargeError(f"{what} file is {len(data)} bytes, more than the limit of {max_bytes}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{what} file is not UTF-8 text") from None
    if "\x00" in text:
        raise InputError(f"{what} file contains NUL bytes")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{what} file is empty") from None
    except csv.Error as exc:
        raise InputError(f"{what} file, line 1: {exc}") from None
    if sorted(header) != sorted(columns):
        raise InputError(
            f"{what} file needs the columns {', '.join(columns)}; found {', '.join(header)[:200]}"
        )
    rows: list[dict[str, str]] = []
    try:
        for line in reader:
            if not line:
                continue
            if len(line) != len(header):
                raise InputError(
                    f"{what} file, line {reader.line_num}: {len(line)} fields, expected {len(header)}"
                )
            rows.append(dict(zip(header, (v.strip() for v in line), strict=True)))
            if len(rows) > MAX_ROWS:
                raise TooLargeError(f"{what} file has more than {MAX_ROWS} rows")
    except csv.Error as exc:
        raise InputError(f"{what} file, line {reader.line_num}: {exc}") from None
    if not rows:
        raise InputError(f"{what} file has no rows")
    return rows


def parse_ts(value: str, what: str, line: int) -> float:
    """Epoch seconds from ISO 8601 with an offset, or from epoch seconds (2000–2100)."""
    try:
        ts = float(value)
    except ValueError:
        ts = _iso(value, what, line)
    if not (math.isfinite(ts) and _EPOCH_RANGE[0] <= ts <= _EPOCH_RANGE[1]):
        raise InputError(f"{what} file, line {line}: time {value[:40]!r} is outside 2000–2100")
    return ts


def _iso(value: str, what: str, line: int) -> float:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what} file, line {line}: {value[:40]!r} is not a time") from None
    if dt.tzinfo is None:
        raise InputError(f"{what} file, line {line}: time {value[:40]!r} needs an offset (e.g. +08:00)")
    return dt.timestamp()


def _num(value: str, what: str, line: int, name: str, empty: float | None = None) -> float:
    if value == "" and empty is not None:
        return empty
    try:
        v = float(value)
    except ValueError:
        raise InputError(f"{what} file, line {line}: {name} {value[:40]!r} is not a number") from None
    if not math.isfinite(v) or abs(v) > 1e12:
        raise InputError(f"{what} file, line {line}: {name} {value[:40]!r} is not a finite number")
    return v


def _id(value: str, what: str, line: int, name: str) -> str:
    if not _ID.match(value):
        raise InputError(
            f"{what} file, line {line}: {name} {value[:40]!r} is not an identifier (letters, digits, _.:-)"
        )
    return value


def _unique_times(keyed: dict[tuple[str, float], float], what: str, key: str, ts: float, line: int) -> None:
    if (key, ts) in keyed:
        raise InputError(f"{what} file, line {line}: {key} is read twice at the same time")


def _tanks(rows: list[dict[str, str]]) -> dict[str, dict[float, tuple[float, float, float]]]:
    out: dict[str, dict[float, tuple[float, float, float]]] = {}
    for i, r in enumerate(rows, start=2):
        tid = _id(r["tank_id"], "tank", i, "tank_id")
        ts = parse_ts(r["ts"], "tank", i)
        if ts in out.get(tid, {}):
            raise InputError(f"tank file, line {i}: {tid} is read twice at the same time")
        vol = _num(r["volume_l"], "tank", i, "volume_l")
        temp = _num(r["temperature_c"], "tank", i, "temperature_c")
        dl = _num(r["delivery_l"], "tank", i, "delivery_l", empty=0.0)
        if vol < 0 or dl < 0 or not -60 <= temp <= 80:
            raise InputError(f"tank file, line {i}: volume and delivery must be ≥ 0, temperature −60…80 °C")
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
            raise InputError(f"totalisers file, line {i}: tank {tid} is not in the tank file")
        entry = nozzles.setdefault(nid, (did, tid, {}))
        if entry[:2] != (did, tid):
            raise InputError(f"totalisers file, line {i}: nozzle {nid} changes dispenser or tank")
        ts = parse_ts(r["ts"], "totalisers", i)
        if ts in entry[2]:
            raise InputError(f"totalisers file, line {i}: {nid} is read twice at the same time")
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
            raise InputError(f"tank {tid}: fewer than 3 times read on the gauge and every nozzle")
        vals = np.array([tanks[tid][t] for t in times], dtype=np.float64).reshape(-1, 3)
        tank_series.append(
            TankSeries(tid, np.array(times, dtype=np.float64), vals[:, 0], vals[:, 1], vals[:, 2])
        )
        noz_series += [
            NozzleSeries(n, nozzles[n][0], tid, np.array([nozzles[n][2][t] for t in times], dtype=np.float64))
            for n in members
        ]
    if not noz_series:
        raise InputError("the totalisers file names no nozzle of the tanks")
    evs = _events(events) if events else []
    return StationData(station_id, tuple(tank_series), tuple(noz_series)), evs, dropped


def _events(data: bytes) -> list[DispenserEvent]:
    out = []
    for i, r in enumerate(read_csv(data, EVENT_COLUMNS, "events"), start=2):
        kind = r["kind"]
        try:
            ev = DispenserEvent(
                _id(r["dispenser_id"], "events", i, "dispenser_id"),
                parse_ts(r["ts"], "events", i),
                kind,
                r["detail"][:200],
            )
        except InputError as exc:
            raise InputError(f"events file, line {i}: {exc}") from None
        out.append(ev)
    return out


def parse_charger_site(
    site_id: str, registers: bytes, sessions: bytes | None
) -> tuple[ChargerSite, list[Session]]:
    """A charging site's registers (the upstream meter and each charger) and its sessions."""
    regs: dict[str, dict[float, float]] = {}
    upstream: str | None = None
    for i, r in enumerate(read_csv(registers, REGISTER_COLUMNS, "registers"), start=2):
        dev = _id(r["device_id"], "registers", i, "device_id")
        if r["role"] not in ("upstream", "charger"):
            raise InputError(f"registers file, line {i}: role {r['role'][:20]!r} is not upstream or charger")
        if r["role"] == "upstream":
            if upstream not in (None, dev):
                raise InputError(f"registers file, line {i}: a second upstream meter {dev}")
            upstream = dev
        elif dev == upstream:
            raise InputError(f"registers file, line {i}: {dev} is both upstream and a charger")
        ts = parse_ts(r["ts"], "registers", i)
        if ts in regs.get(dev, {}):
            raise InputError(f"registers file, line {i}: {dev} is read twice at the same time")
        regs.setdefault(dev, {})[ts] = _num(r["register_kwh"], "registers", i, "register_kwh")
    if upstream is None:
        raise InputError("registers file: no row with role upstream (the site meter)")
    chargers = tuple(sorted(d for d in regs if d != upstream))
    if not chargers:
        raise InputError("registers file: no charger")
    common = set(regs[upstream])
    for c in chargers:
        common &= set(regs[c])
    times = sorted(common)
    site = ChargerSite(
        site_id,
        np.array(times, dtype=np.float64),
        np.array([regs[upstream][t] for t in times], dtype=np.float64),
        chargers,
        np.array([[regs[c][t] for t in times] for c in chargers], dtype=np.float64).reshape(
            len(chargers), len(times)
        ),
    )
    out: list[Session] = []
    for i, r in enumerate(read_csv(sessions, SESSION_COLUMNS, "sessions") if sessions else [], start=2):
        cid = _id(r["charger_id"], "sessions", i, "charger_id")
        veh = None if r["vehicle_kwh"] == "" else _num(r["vehicle_kwh"], "sessions", i, "vehicle_kwh")
        try:
            out.append(
                Session(
                    cid,
                    parse_ts(r["start"], "sessions", i),
                    _num(r["energy_kwh"], "sessions", i, "energy_kwh"),
                    veh,
                )
            )
        except InputError as exc:
            raise InputError(f"sessions file, line {i}: {exc}") from None
    return site, out


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
