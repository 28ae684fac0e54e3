"""Files of remote meter supervision: meters, readings, results, ground truth (CSV or Parquet).

``meters``: ``meter_id, area_id, role (master|user), accuracy_class, imax_a, un_v, installed_on``,
optional ``phase``. ``readings``: ``meter_id, ts, register_kwh``, optional ``current_a``; ``ts`` is
an ISO 8601 timestamp (UTC unless it carries an offset), a Parquet timestamp, or integer epoch
seconds. Readings may be one file or a directory of Parquet/CSV files partitioned by area
(``area_id=<id>/…``, possibly with sub-partitions such as the ingest store's ``date=…/``), which
the local engine streams area by area.

Uses Polars and PyArrow (the ``files`` extra).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from jiliang.meters.types import MeterError, MeterSpec, Role

__all__ = [
    "MAX_MESSAGES",
    "ReadingsChunk",
    "iter_readings",
    "read_meters",
    "read_table",
    "write_city",
    "write_rows",
]

MAX_MESSAGES = 200
_METER_COLUMNS = ("meter_id", "area_id", "role", "accuracy_class", "imax_a", "un_v", "installed_on")
_READING_COLUMNS = ("meter_id", "ts", "register_kwh")


def read_table(path: Path) -> Any:
    """A Polars DataFrame from a CSV or Parquet file; a clear error for anything else."""
    import polars as pl

    path = Path(path)
    if not path.is_file():
        raise MeterError(f"no such file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pl.read_csv(path, infer_schema_length=10000, try_parse_dates=False)
    except Exception as exc:  # polars raises many types for corrupt files
        raise MeterError(
            f"cannot read {path.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        ) from None
    raise MeterError(f"{path.name}: unsupported file type {suffix!r}; use .csv or .parquet")


def read_meters(path: Path) -> tuple[list[MeterSpec], list[str]]:
    """Meters of the file, and one message per rejected row (the rest are kept)."""
    df = read_table(path)
    missing = [c for c in _METER_COLUMNS if c not in df.columns]
    if missing:
        raise MeterError(f"{Path(path).name}: missing column(s) {', '.join(missing)}")
    specs: list[MeterSpec] = []
    messages: list[str] = []
    seen: set[str] = set()
    has_phase = "phase" in df.columns
    for n, row in enumerate(df.iter_rows(named=True), start=2):
        try:
            mid = _text(row["meter_id"])
            if mid in seen:
                raise MeterError(f"duplicate meter_id {mid!r}")
            spec = MeterSpec(
                meter_id=mid,
                area_id=_text(row["area_id"]),
                role=Role(_text(row["role"]).lower())
                if _text(row["role"]).lower() in ("master", "user")
                else _bad_role(row["role"]),
                accuracy_class=_text(row["accuracy_class"]).upper(),
                imax_a=_number(row["imax_a"], "imax_a"),
                un_v=_number(row["un_v"], "un_v"),
                installed_on=_date(row["installed_on"]),
                phase=_text(row["phase"]) if has_phase and row["phase"] is not None else None,
            )
        except MeterError as exc:
            if len(messages) < MAX_MESSAGES:
                messages.append(f"meters row {n}: {exc}")
            continue
        seen.add(spec.meter_id)
        specs.append(spec)
    if not specs:
        raise MeterError(
            f"{Path(path).name}: no valid meter rows" + (f" ({messages[0]})" if messages else "")
        )
    return specs, messages


def _bad_role(value: Any) -> Role:
    raise MeterError(f"role must be master or user, got {value!r}")


def _text(value: Any) -> str:
    if value is None:
        raise MeterError("empty value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        raise MeterError("empty value")
    return text


def _number(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise MeterError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise MeterError(f"{name} must be finite, got {value!r}")
    return x


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise MeterError(f"installed_on must be an ISO date, got {value!r}") from None


@dataclass(frozen=True, slots=True, eq=False)
class ReadingsChunk:
    """Reads of one or more complete areas, as arrays (meter ids as strings)."""

    meter_id: Any  # numpy strings, or a pyarrow DictionaryArray
    ts: np.ndarray
    register_kwh: np.ndarray
    current_a: np.ndarray | None
    source: str


def _epoch_seconds(df: Any, source: str) -> Any:
    import polars as pl

    dtype = df.schema["ts"]
    if dtype == pl.Utf8 or dtype == pl.String:
        parsed = pl.col("ts").str.to_datetime(time_zone="UTC", strict=False, time_unit="us")
        out = df.with_columns(parsed.alias("_ts"))
        bad = out.filter(pl.col("_ts").is_null() & pl.col("ts").is_not_null()).height
        if bad:
            example = out.filter(pl.col("_ts").is_null()).get_column("ts")[0]
            raise MeterError(f"{source}: {bad} timestamps are not ISO 8601 (e.g. {str(example)[:40]!r})")
        return out.with_columns(pl.col("_ts").dt.epoch("s").alias("ts")).drop("_ts")
    if isinstance(dtype, pl.Datetime):
        col = pl.col("ts")
        if dtype.time_zone is None:
            col = col.dt.replace_time_zone("UTC")
        return df.with_columns(col.dt.epoch("s").alias("ts"))
    if dtype.is_integer():
        return df.with_columns(pl.col("ts").cast(pl.Int64))
    raise MeterError(f"{source}: column ts has unsupported type {dtype}")


def load_readings(path: Path) -> ReadingsChunk:
    """One readings file as arrays; rows with missing values are dropped (a null register is a
    missing read)."""
    import polars as pl

    source = Path(path).name
    if Path(path).suffix.lower() == ".parquet":
        fast = _load_parquet_fast(Path(path))
        if fast is not None:
            return fast
    df = read_table(path)
    missing = [c for c in _READING_COLUMNS if c not in df.columns]
    if missing:
        raise MeterError(f"{source}: missing column(s) {', '.join(missing)}")
    cols = ["meter_id", "ts", "register_kwh"] + (["current_a"] if "current_a" in df.columns else [])
    df = df.select(cols).drop_nulls(["meter_id", "ts", "register_kwh"])
    try:
        df = df.with_columns(
            pl.col("meter_id").cast(pl.Utf8),
            pl.col("register_kwh").cast(pl.Float64, strict=True),
            *([pl.col("current_a").cast(pl.Float64, strict=True)] if "current_a" in cols else []),
        )
    except Exception as exc:
        raise MeterError(
            f"{source}: register_kwh and current_a must be numbers ({str(exc).splitlines()[0][:120]})"
        ) from None
    df = _epoch_seconds(df, source)
    current = df.get_column("current_a").to_numpy().astype(np.float64) if "current_a" in cols else None
    return ReadingsChunk(
        meter_id=df.get_column("meter_id").to_numpy(),
        ts=df.get_column("ts").to_numpy().astype(np.int64),
        register_kwh=df.get_column("register_kwh").to_numpy().astype(np.float64),
        current_a=current,
        source=source,
    )


def _load_parquet_fast(path: Path) -> ReadingsChunk | None:
    """Parquet with a timestamp ``ts``: read with PyArrow, keeping ``meter_id`` dictionary-encoded
    (no per-row strings). None when the file needs the general path."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        names = set(schema.names)
        if not {"meter_id", "ts", "register_kwh"} <= names or not pa.types.is_timestamp(
            schema.field("ts").type
        ):
            return None
        cols = ["meter_id", "ts", "register_kwh"] + (["current_a"] if "current_a" in names else [])
        table = pq.read_table(path, columns=cols, read_dictionary=["meter_id"])
    except Exception as exc:
        raise MeterError(
            f"cannot read {path.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        ) from None
    table = table.filter(
        pc.and_(
            pc.and_(pc.is_valid(table["meter_id"]), pc.is_valid(table["ts"])),
            pc.is_valid(table["register_kwh"]),
        )
    )
    mid = table["meter_id"].combine_chunks()
    if not pa.types.is_dictionary(mid.type):
        mid = pc.dictionary_encode(mid.cast(pa.string()))
    ts = pc.cast(table["ts"], pa.timestamp("us", tz="UTC")).combine_chunks().cast(pa.int64()).to_numpy()
    try:
        reg = table["register_kwh"].combine_chunks().cast(pa.float64()).to_numpy(zero_copy_only=False)
        cur = (
            table["current_a"].combine_chunks().cast(pa.float64()).to_numpy(zero_copy_only=False)
            if "current_a" in cols
            else None
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise MeterError(f"{path.name}: register_kwh and current_a must be numbers ({exc})") from None
    return ReadingsChunk(
        meter_id=mid,
        ts=np.floor_divide(ts, 1_000_000).astype(np.int64),
        register_kwh=reg,
        current_a=cur,
        source=path.name,
    )


def readings_files(path: Path) -> list[Path]:
    """The files of a readings source: the file itself, or every Parquet/CSV file of a directory
    (names starting with ``_`` or ``.`` are hidden, as in Spark and Hive: the ingest store keeps its
    staging, manifest, quarantine and conflicts under ``_ingest/``)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in (".parquet", ".csv")
            and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
        )
        if not files:
            raise MeterError(f"{path}: no .parquet or .csv files")
        return files
    raise MeterError(f"no such file or directory: {path}")


def iter_readings(path: Path) -> Iterator[ReadingsChunk]:
    """Chunks of reads, one file at a time (a partitioned directory streams area by area)."""
    for f in readings_files(path):
        yield load_readings(f)


def write_rows(rows: list[dict[str, Any]], path: Path, columns: list[str]) -> None:
    """Write rows to ``.csv`` or ``.parquet`` (chosen by the suffix)."""
    import polars as pl

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise MeterError(f"{path.name}: output must end in .csv or .parquet")
    if suffix == ".csv":  # text cells a spreadsheet would run as formulas get a leading '
        from jiliang.platform.cells import safe_cell

        rows = [{k: safe_cell(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
    df = pl.DataFrame(
        rows, schema=None if rows else dict.fromkeys(columns, pl.Utf8), infer_schema_length=None
    )
    if rows:
        df = df.select(columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        df.write_csv(path)
    else:
        df.write_parquet(path)


def write_city(areas: Iterable[Any], out_dir: Path, readings_format: str = "parquet") -> dict[str, int]:
    """Write generated areas (:class:`jiliang.meters.synth.SynthArea`) to ``out_dir``.

    ``meters.csv``, ``truth.csv`` and the readings: ``readings/area_id=<id>/part-0.parquet``
    (partitioned by area, what the engines stream) or, with ``readings_format="csv"``, one
    ``readings.csv``. Returns counts.
    """
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    if readings_format not in ("parquet", "csv"):
        raise MeterError(f"readings format must be parquet or csv, got {readings_format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meter_rows: list[dict[str, Any]] = []
    truth_rows: list[dict[str, Any]] = []
    n_rows = 0
    csv_parts: list[Any] = []
    for area in areas:
        for s in area.meters:
            meter_rows.append(
                {
                    "meter_id": s.meter_id,
                    "area_id": s.area_id,
                    "role": s.role.value,
                    "accuracy_class": s.accuracy_class,
                    "imax_a": s.imax_a,
                    "un_v": s.un_v,
                    "installed_on": s.installed_on.isoformat() if s.installed_on else None,
                    "phase": s.phase,
                }
            )
        truth_rows.extend(area.truth)
        ids = np.asarray([s.meter_id for s in area.meters])
        columns = {
            "meter_id": pa.DictionaryArray.from_arrays(
                pa.array(area.meter_index.astype(np.int32)), pa.array(ids)
            ),
            "ts": pa.array(
                area.ts.astype("datetime64[s]").astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC")
            ),
            "register_kwh": pa.array(area.register_kwh),
        }
        if area.current_a is not None:
            columns["current_a"] = pa.array(area.current_a)
        table = pa.table(columns)
        n_rows += table.num_rows
        if readings_format == "parquet":
            part = out / "readings" / f"area_id={area.area_id}"
            part.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, part / "part-0.parquet", compression="zstd")
        else:
            csv_parts.append(
                pl.DataFrame(pl.from_arrow(table)).with_columns(
                    pl.col("meter_id").cast(pl.Utf8),
                    pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                )
            )
    if readings_format == "csv":
        pl.concat(csv_parts).write_csv(out / "readings.csv")
    pl.DataFrame(meter_rows).write_csv(out / "meters.csv")
    pl.DataFrame(truth_rows, infer_schema_length=None).write_csv(out / "truth.csv")
    return {"areas": len({m["area_id"] for m in meter_rows}), "meters": len(meter_rows), "readings": n_rows}
