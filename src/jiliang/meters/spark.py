"""The Apache Spark engine: the same per-area core, applied with ``groupBy(area).applyInPandas``.

Spark reads the readings (a Parquet folder partitioned by area, or one CSV / Parquet file), joins
them to the meters to find each read's area, and hands every area's reads to
:func:`jiliang.meters.engine.estimate_group` — the very function the local engine calls — so the
results equal the local engine's on the same input. Meters are validated on the driver by the
same reader as the local engine.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jiliang.meters.engine import RunResult, _no_reads, area_specs, estimate_group
from jiliang.meters.io import read_meters, readings_files
from jiliang.meters.types import EstimationSettings, MeterError, MeterSpec

__all__ = ["run_spark", "spark_session"]

_SCHEMA = (
    "kind string, meter_id string, area_id string, error_pct double, u_error_pct double, "
    "status string, limit_pct double, evidence string, area_json string"
)


def spark_session(master: str = "local[2]", shuffle_partitions: int = 32, memory: str = "3g") -> Any:
    """A Spark session for the engine: UTC, Arrow on, UI off, few shuffle partitions."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    src = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return (
        SparkSession.builder.master(master)
        .appName("jiliang-meters")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", memory)
        .config("spark.executorEnv.PYTHONPATH", path)
        .getOrCreate()
    )


def _read_readings(spark: Any, path: Path) -> Any:
    from pyspark.sql import functions as F

    files = readings_files(path)
    if path.is_dir():
        kinds = {f.suffix.lower() for f in files}
        if kinds != {".parquet"}:
            raise MeterError(f"{path}: the Spark engine reads a folder of Parquet files only")
        df = spark.read.option("basePath", str(path)).parquet(*[str(f) for f in files])
    elif path.suffix.lower() == ".parquet":
        df = spark.read.parquet(str(path))
    else:
        df = spark.read.option("header", "true").csv(str(path))
    for col in ("meter_id", "ts", "register_kwh"):
        if col not in df.columns:
            raise MeterError(f"{path.name}: missing column {col}")
    ts_type = dict(df.dtypes)["ts"]
    if ts_type == "string":
        ts = F.to_timestamp(F.col("ts"))
    elif ts_type.startswith("timestamp"):
        ts = F.col("ts")
    else:
        ts = F.col("ts").cast("long").cast("timestamp")
    cols = [
        F.col("meter_id").cast("string").alias("meter_id"),
        F.floor(F.unix_micros(ts) / F.lit(1_000_000)).cast("long").alias("ts"),
        F.col("register_kwh").cast("double").alias("register_kwh"),
    ]
    if "current_a" in df.columns:
        cols.append(F.col("current_a").cast("double").alias("current_a"))
    return df.select(*cols).dropna(subset=["meter_id", "ts", "register_kwh"])


def run_spark(
    meters_path: Path,
    readings_path: Path,
    settings: EstimationSettings | None = None,
    spark: Any = None,
) -> RunResult:
    """Estimate every area with Spark (a local session when ``spark`` is None)."""
    settings = settings or EstimationSettings()
    specs, meter_messages = read_meters(Path(meters_path))
    result = RunResult()
    for m in meter_messages:
        result.note(m)
    areas = area_specs(specs)
    own = spark is None
    spark = spark or spark_session()
    try:
        collected = _estimate_areas(spark, Path(readings_path), specs, areas, settings, result)
    finally:
        if own:
            spark.stop()
    _gather(collected, areas, settings, result)
    return result


def _estimate_areas(
    spark: Any,
    readings_path: Path,
    specs: list[MeterSpec],
    areas: dict[str, tuple[MeterSpec, ...]],
    settings: EstimationSettings,
    result: RunResult,
) -> Any:
    """The readings joined to their meters' areas, estimated per area on Spark (a pandas frame)."""
    import pandas as pd

    readings = _read_readings(spark, readings_path)
    owner = spark.createDataFrame(
        pd.DataFrame({"meter_id": [s.meter_id for s in specs], "area_id": [s.area_id for s in specs]})
    )
    unknown = readings.join(owner, "meter_id", "left_anti").select("meter_id").distinct().limit(5).collect()
    if unknown:
        result.note(f"unknown meter id(s) in readings ignored, e.g. {unknown[0]['meter_id']!r}")
    joined = readings.join(owner, "meter_id", "inner")
    has_current = "current_a" in readings.columns
    shared = spark.sparkContext.broadcast((areas, settings))
    per_area = _per_area(shared, has_current)
    return joined.groupBy("area_id").applyInPandas(per_area, schema=_SCHEMA).toPandas()


def _per_area(shared: Any, has_current: bool) -> Callable[[Any], Any]:
    """The function each Spark worker applies to one area's reads (rows in :data:`_SCHEMA`)."""
    import pandas as pd

    def per_area(pdf: Any) -> Any:
        import numpy as np

        areas_b, settings_b = shared.value
        code = str(pdf["area_id"].iloc[0])
        cur = pdf["current_a"].to_numpy(dtype=np.float64) if has_current else None
        rows, summary = estimate_group(
            code,
            areas_b[code],
            pdf["meter_id"].to_numpy().astype(str),
            pdf["ts"].to_numpy(dtype=np.int64),
            pdf["register_kwh"].to_numpy(dtype=np.float64),
            cur,
            settings_b,
        )
        out = [dict(kind="meter", area_json=None, **r) for r in rows]
        out.append(
            dict(
                kind="area",
                meter_id=None,
                area_id=code,
                error_pct=None,
                u_error_pct=None,
                status=summary["status"],
                limit_pct=None,
                evidence=None,
                area_json=json.dumps(summary),
            )
        )
        return pd.DataFrame(out, columns=[c.split()[0] for c in _SCHEMA.split(", ")])

    return per_area


def _gather(
    collected: Any, areas: dict[str, tuple[MeterSpec, ...]], settings: EstimationSettings, result: RunResult
) -> None:
    """Add Spark's rows to ``result``, areas without reads as the local engine has them, sorted."""
    done: set[str] = set()
    for rec in collected.to_dict("records"):
        if rec["kind"] == "area":
            result.areas.append(json.loads(rec["area_json"]))
            done.add(rec["area_id"])
        else:
            result.meters.append(_meter_row(rec))
    for code, area_meters in areas.items():
        if code not in done:
            rows, summary = _no_reads(code, area_meters, settings)
            result.meters.extend(rows)
            result.areas.append(summary)
    result.meters.sort(key=lambda r: (r["area_id"], r["meter_id"]))
    result.areas.sort(key=lambda r: r["area_id"])


def _meter_row(rec: dict[str, Any]) -> dict[str, Any]:
    """One meter's result row from a Spark record (NaN numbers as None)."""
    row = {
        k: rec[k]
        for k in (
            "meter_id",
            "area_id",
            "error_pct",
            "u_error_pct",
            "status",
            "limit_pct",
            "evidence",
        )
    }
    for k in ("error_pct", "u_error_pct", "limit_pct"):
        v = row[k]
        row[k] = None if v is None or v != v else float(v)
    return row
