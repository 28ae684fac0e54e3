"""The local engine: stream the readings area by area through the pure core.

Memory is bounded by one readings file (or one ``area_id=…`` partition) per worker: results are
small (one row per meter). With ``workers > 1`` the files are spread over a process pool. The Spark
engine (:mod:`jiliang.meters.spark`) calls the same :func:`estimate_group`, so both give the same
numbers on the same input.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jiliang.meters.core import AreaReadings, estimate_area
from jiliang.meters.io import MAX_MESSAGES, load_readings, read_meters, readings_files
from jiliang.meters.types import (
    AreaSummary,
    EstimationSettings,
    MeterError,
    MeterResult,
    MeterSpec,
    Role,
    Status,
)

__all__ = [
    "AREA_COLUMNS",
    "RESULT_COLUMNS",
    "RunResult",
    "area_specs",
    "estimate_group",
    "estimate_one_area",
    "run_local",
]

RESULT_COLUMNS = ["meter_id", "area_id", "error_pct", "u_error_pct", "status", "limit_pct", "evidence"]
AREA_COLUMNS = [
    "area_id",
    "master_id",
    "meters",
    "meters_estimated",
    "periods_total",
    "periods_used",
    "collection_rate",
    "loss_rate_pct",
    "fixed_loss_kw",
    "variable_loss_coeff",
    "residual_rms_pct",
    "status",
    "message",
]


@dataclass(slots=True)
class RunResult:
    """Rows of one estimation run (``meters`` in :data:`RESULT_COLUMNS`, ``areas`` in
    :data:`AREA_COLUMNS`) and the messages about rejected input."""

    meters: list[dict[str, Any]] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)


def area_specs(specs: Iterable[MeterSpec]) -> dict[str, tuple[MeterSpec, ...]]:
    """Meters grouped by area, master first then by meter id (the order both engines use)."""
    by_area: dict[str, list[MeterSpec]] = defaultdict(list)
    for s in specs:
        by_area[s.area_id].append(s)
    return {
        a: tuple(sorted(v, key=lambda s: (s.role is not Role.MASTER, s.meter_id)))
        for a, v in sorted(by_area.items())
    }


def estimate_group(
    area_id: str,
    specs: Sequence[MeterSpec],
    meter_ids: Any,
    ts: np.ndarray,
    register_kwh: np.ndarray,
    current_a: np.ndarray | None,
    settings: EstimationSettings,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the core on the reads of one area (meter ids as strings or a pyarrow array)."""
    index = {s.meter_id: i for i, s in enumerate(specs)}
    encoded = _dict_array(meter_ids)
    uniq = encoded.dictionary.to_pylist()
    lookup = np.asarray([index.get(str(u), -1) for u in uniq] + [-1], dtype=np.int64)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    mi = lookup[codes] if len(uniq) else np.zeros(0, dtype=np.int64)
    ok = mi >= 0
    readings = AreaReadings(
        area_id=area_id,
        meters=tuple(specs),
        meter_index=mi[ok],
        ts=np.asarray(ts, dtype=np.int64)[ok],
        register_kwh=np.asarray(register_kwh, dtype=np.float64)[ok],
        current_a=None if current_a is None else np.asarray(current_a, dtype=np.float64)[ok],
    )
    est = estimate_area(readings, settings)
    return [m.as_row() for m in est.meters], est.summary.as_row()


def _dict_array(meter_ids: Any) -> Any:
    """Meter ids as a pyarrow DictionaryArray (hash-encoded once; no per-row Python strings)."""
    import pyarrow as pa

    arr = meter_ids if isinstance(meter_ids, pa.Array) else pa.array(np.asarray(meter_ids).astype(str))
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    return arr


def _no_reads(
    area_id: str, specs: Sequence[MeterSpec], settings: EstimationSettings
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = []
    for s in specs:
        if s.role is Role.USER:
            limit = settings.limits_pct.get(s.accuracy_class)
            rows.append(
                MeterResult(
                    s.meter_id,
                    area_id,
                    None,
                    None,
                    Status.INSUFFICIENT_DATA,
                    None if limit is None else float(limit),
                    {"reason": "no reads for this area"},
                ).as_row()
            )
    summary = AreaSummary(
        area_id,
        next((s.meter_id for s in specs if s.role is Role.MASTER), None),
        sum(1 for s in specs if s.role is Role.USER),
        0,
        0,
        0,
        0.0,
        None,
        None,
        None,
        None,
        "no_data",
        "no reads for this area",
    )
    return rows, summary.as_row()


# --- worker side -------------------------------------------------------------------------------
_STATE: dict[str, Any] = {}


def _init(areas: dict[str, tuple[MeterSpec, ...]], settings: EstimationSettings) -> None:
    _STATE["areas"] = areas
    _STATE["settings"] = settings
    owner: dict[str, str] = {}
    for a, specs in areas.items():
        for s in specs:
            owner[s.meter_id] = a
    _STATE["owner"] = owner


def _process(files: list[Path]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], list[str]]:
    """Estimate every area found in ``files`` (which together hold complete areas)."""
    areas: dict[str, tuple[MeterSpec, ...]] = _STATE["areas"]
    settings: EstimationSettings = _STATE["settings"]
    owner: dict[str, str] = _STATE["owner"]
    messages: list[str] = []
    chunks = []
    for f in files:
        try:
            chunks.append(load_readings(f))
        except MeterError as exc:
            messages.append(str(exc))
    if not chunks:
        return [], [], messages, []
    import pyarrow as pa

    mid = pa.chunked_array([_dict_array(c.meter_id) for c in chunks]).unify_dictionaries().combine_chunks()
    ts = np.concatenate([c.ts for c in chunks])
    reg = np.concatenate([c.register_kwh for c in chunks])
    with_current = all(c.current_a is not None for c in chunks)
    cur = np.concatenate([c.current_a for c in chunks if c.current_a is not None]) if with_current else None
    uniq = [str(u) for u in mid.dictionary.to_pylist()]
    codes = mid.indices.to_numpy(zero_copy_only=False)
    area_of_uniq = [owner.get(u, "") for u in uniq]
    unknown = [u for u, a in zip(uniq, area_of_uniq, strict=True) if a == ""]
    if unknown:
        messages.append(
            f"{len(unknown)} meter id(s) in readings not among the meters estimated, ignored, e.g. {unknown[0]!r}"
        )
    area_codes = sorted({a for a in area_of_uniq if a})
    area_num = {a: j for j, a in enumerate(area_codes)}
    dict_area = np.asarray([area_num.get(a, -1) for a in area_of_uniq] + [-1], dtype=np.int64)
    row_area = dict_area[codes]
    meter_rows: list[dict[str, Any]] = []
    area_rows: list[dict[str, Any]] = []
    seen: list[str] = []
    single = len(area_codes) == 1 and not unknown
    for j, code in enumerate(area_codes):
        if single:
            rows, summary = estimate_group(code, areas[code], mid, ts, reg, cur, settings)
        else:
            sel = np.flatnonzero(row_area == j)
            rows, summary = estimate_group(
                code,
                areas[code],
                mid.take(pa.array(sel)),
                ts[sel],
                reg[sel],
                None if cur is None else cur[sel],
                settings,
            )
        meter_rows.extend(rows)
        area_rows.append(summary)
        seen.append(code)
    return meter_rows, area_rows, messages, seen


def _file_groups(path: Path) -> list[list[Path]]:
    """Files grouped so that each group holds complete areas: one ``area_id=…`` partition (with
    every sub-partition below it, e.g. the ingest store's ``date=…``), or one file."""
    files = readings_files(path)
    groups: dict[str, list[Path]] = defaultdict(list)
    for f in files:
        at = next((i for i in range(len(f.parts) - 2, -1, -1) if f.parts[i].startswith("area_id=")), None)
        key = str(Path(*f.parts[: at + 1])) if at is not None else str(f)
        groups[key].append(f)
    return [groups[k] for k in sorted(groups)]


def run_local(
    meters_path: Path,
    readings_path: Path,
    settings: EstimationSettings | None = None,
    workers: int = 1,
    only_areas: set[str] | None = None,
) -> RunResult:
    """Estimate every area (or only ``only_areas``): read the meters, stream the readings, collect
    rows and messages."""
    settings = settings or EstimationSettings()
    specs, meter_messages = read_meters(Path(meters_path))
    if only_areas is not None:
        specs = [s for s in specs if s.area_id in only_areas]
        if not specs:
            return RunResult(messages=meter_messages[:MAX_MESSAGES])
    result = RunResult()
    for m in meter_messages:
        result.note(m)
    areas = area_specs(specs)
    groups = _file_groups(Path(readings_path))
    done: set[str] = set()
    workers = max(1, min(int(workers), os.cpu_count() or 1, len(groups)))

    def collect(out: tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], list[str]]) -> None:
        meter_rows, area_rows, messages, seen = out
        for msg in messages:
            result.note(msg)
        for code in seen:
            if code in done:
                result.note(
                    f"area {code}: reads found in several files; partition readings by area (area_id=…)"
                )
        keep = {a["area_id"] for a in area_rows} - done
        result.meters.extend(r for r in meter_rows if r["area_id"] in keep)
        result.areas.extend(a for a in area_rows if a["area_id"] in keep)
        done.update(seen)

    if workers == 1:
        _init(areas, settings)
        for g in groups:
            collect(_process(g))
    else:
        for out in _pool_map(groups, areas, settings, workers):
            collect(out)
    for code, area_meters in areas.items():
        if code not in done:
            rows, summary = _no_reads(code, area_meters, settings)
            result.meters.extend(rows)
            result.areas.append(summary)
    result.meters.sort(key=lambda r: (r["area_id"], r["meter_id"]))
    result.areas.sort(key=lambda r: r["area_id"])
    return result


def _pool_map(
    groups: list[list[Path]],
    areas: dict[str, tuple[MeterSpec, ...]],
    settings: EstimationSettings,
    workers: int,
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], list[str]]]:
    """Results in completion order with at most ``2·workers`` tasks in flight (bounded memory)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # polars and pyarrow thread pools are not fork-safe
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
        os.environ.setdefault(var, "1")  # one thread per worker: the pool is the parallelism
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init, initargs=(areas, settings)) as pool:
        pending: set[Future[Any]] = set()
        it = iter(groups)
        for g in it:
            pending.add(pool.submit(_process, g))
            if len(pending) >= 2 * workers:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    yield f.result()
        for f in pending:
            yield f.result()


def estimate_one_area(
    meters_path: Path, readings_path: Path, area_id: str, settings: EstimationSettings | None = None
) -> Any:
    """The full :class:`~jiliang.meters.core.AreaEstimate` (with its design, for tracking) of one
    area: reads only that area's partition when the readings are partitioned by area."""
    import pyarrow as pa

    from jiliang.meters.core import AreaReadings

    settings = settings or EstimationSettings()
    specs, _ = read_meters(Path(meters_path))
    areas = area_specs(specs)
    if area_id not in areas:
        raise MeterError(f"no area {area_id!r} in the meters file")
    groups = _file_groups(Path(readings_path))
    mine = [g for g in groups if any(part == f"area_id={area_id}" for f in g for part in f.parts)]
    files = mine[0] if mine else [f for g in groups for f in g]
    chunks = [load_readings(f) for f in files]
    mid = pa.chunked_array([_dict_array(c.meter_id) for c in chunks]).unify_dictionaries().combine_chunks()
    index = {s.meter_id: i for i, s in enumerate(areas[area_id])}
    lookup = np.asarray([index.get(str(u), -1) for u in mid.dictionary.to_pylist()] + [-1], dtype=np.int64)
    mi = lookup[mid.indices.to_numpy(zero_copy_only=False)]
    ok = mi >= 0
    ts = np.concatenate([c.ts for c in chunks])[ok]
    reg = np.concatenate([c.register_kwh for c in chunks])[ok]
    cur = (
        np.concatenate([c.current_a for c in chunks if c.current_a is not None])[ok]
        if all(c.current_a is not None for c in chunks)
        else None
    )
    return estimate_area(AreaReadings(area_id, areas[area_id], mi[ok], ts, reg, cur), settings)
