"""``jiliang meters``: remote error estimation of electricity meters (JJF(冀)174-2020)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from jiliang.cli.common import emit_json, fail

app = typer.Typer(
    name="meters",
    help="Smart-meter supervision: remote error estimation per transformer area.",
    no_args_is_help=True,
)


@app.command("synth")
def synth(
    out: Path = typer.Option(..., "--out", help="Folder to write meters.csv, truth.csv and readings/ into."),
    areas: int = typer.Option(10, help="Transformer areas."),
    meters_per_area: int = typer.Option(100, "--meters-per-area", help="User meters per area."),
    days: int = typer.Option(30, help="Days of data."),
    interval: int = typer.Option(900, help="Read interval in seconds (900 = 15 min, 86400 = daily)."),
    master_noise_pct: float = typer.Option(
        0.01, "--master-noise-pct", help="Master-meter noise per interval (%)."
    ),
    resolution_kwh: float = typer.Option(0.001, "--resolution-kwh", help="Register resolution (kWh)."),
    missing: float = typer.Option(0.003, help="Share of reads lost at random."),
    skew_s: float = typer.Option(5.0, "--skew-s", help="Standard deviation of meter clock skew (s)."),
    failure_rate: float = typer.Option(
        0.004, "--failure-rate", help="Share of meters that fail (1:1:2 runaway, backwards, stopped)."
    ),
    theft: float = typer.Option(0.01, help="Share of users stealing (registered share 0.1–0.8)."),
    theft_area_every: int = typer.Option(
        0,
        "--theft-area-every",
        help="Every k-th area has a thief: night bypass or tampering, alternately (0 = none).",
    ),
    readings_format: str = typer.Option(
        "parquet", "--format", help="parquet (partitioned by area) or csv (one file)."
    ),
    seed: int = typer.Option(2035, help="Random seed; the same seed gives the same city."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Generate a synthetic city with ground truth (every parameter: docs/guide/meters.md)."""
    import numpy as np

    from jiliang.meters.io import write_city
    from jiliang.meters.synth import SynthConfig, synth_areas

    if failure_rate < 0 or failure_rate > 1:
        fail(f"--failure-rate must be within 0..1, got {failure_rate}")
    config = SynthConfig(
        areas=areas,
        meters_per_area=meters_per_area,
        days=days,
        interval_s=interval,
        master_noise_pct=master_noise_pct,
        resolution_kwh=resolution_kwh,
        missing_fraction=missing,
        skew_sd_s=skew_s,
        runaway_fraction=failure_rate / 4,
        backwards_fraction=failure_rate / 4,
        stopped_fraction=failure_rate / 2,
        theft_fraction=theft,
        theft_area_every=theft_area_every,
    )
    counts = write_city(synth_areas(config, np.random.default_rng(seed)), out, readings_format)
    if json_out:
        emit_json(counts)
    else:
        typer.echo(
            f"wrote {counts['areas']} areas, {counts['meters']} meters, {counts['readings']} reads to {out}"
        )


@app.command("estimate")
def estimate(
    meters: Path = typer.Option(..., "--meters", help="Meters file (CSV or Parquet)."),
    readings: Path = typer.Option(..., "--readings", help="Readings file, or a folder partitioned by area."),
    out: Path = typer.Option(
        ..., "--out", help="Result file RESULT.csv or RESULT.parquet (areas go to RESULT.areas.csv)."
    ),
    engine: str = typer.Option("local", help="local or spark."),
    workers: int = typer.Option(1, help="Processes of the local engine."),
    interval: int | None = typer.Option(
        None, help="Read interval (s); default: inferred from the master meter."
    ),
    guard_k: float = typer.Option(2.0, "--guard-k", help="Guard band w = k·u (JCGM 106)."),
    min_periods: int = typer.Option(300, "--min-periods", help="Minimum data groups (JJF(滇)21-2022: 300)."),
    limit_class1: float = typer.Option(1.75, "--limit-class1", help="Limit for class 1 (%)."),
    limit_class2: float = typer.Option(3.5, "--limit-class2", help="Limit for class 2 (%)."),
    resolution_kwh: float = typer.Option(0.001, "--resolution-kwh", help="Register resolution (kWh)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable summary."),
) -> None:
    """Estimate the error of every user meter, area by area."""
    from jiliang.meters.engine import AREA_COLUMNS, RESULT_COLUMNS, run_local
    from jiliang.meters.io import write_rows
    from jiliang.meters.types import DEFAULT_LIMITS_PCT, EstimationSettings

    if out.suffix.lower() not in (".csv", ".parquet"):
        fail(f"--out must end in .csv or .parquet, got {out.name!r}")
    if engine not in ("local", "spark"):
        fail(f"--engine must be local or spark, got {engine!r}")
    limits = dict(DEFAULT_LIMITS_PCT) | {"1": limit_class1, "2": limit_class2}
    settings = EstimationSettings(
        interval_s=interval,
        guard_k=guard_k,
        min_periods=min_periods,
        limits_pct=limits,
        resolution_kwh=resolution_kwh,
    )
    if engine == "local":
        result = run_local(meters, readings, settings, workers=workers)
    else:
        from jiliang.meters.spark import run_spark

        result = run_spark(meters, readings, settings)
    write_rows(result.meters, out, RESULT_COLUMNS)
    write_rows(result.areas, out.with_name(out.stem + ".areas.csv"), AREA_COLUMNS)
    for m in result.messages:
        print(f"warning: {' '.join(m.split())}", file=sys.stderr)
    counts: dict[str, int] = {}
    for r in result.meters:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    if json_out:
        emit_json(
            {
                "meters": len(result.meters),
                "areas": len(result.areas),
                "status": counts,
                "messages": result.messages,
            }
        )
    else:
        typer.echo(f"{len(result.meters)} meters in {len(result.areas)} areas → {out}")
        typer.echo("  " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


def _rows(path: Path) -> list[dict[str, object]]:
    from jiliang.meters.io import read_table

    rows: list[dict[str, object]] = read_table(path).to_dicts()
    return rows


@app.command("evaluate")
def evaluate(
    result: Path = typer.Argument(..., help="Result file of `jiliang meters estimate`."),
    truth: Path = typer.Option(..., "--truth", help="truth.csv of `jiliang meters synth`."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Score a result against the ground truth: RMSE, P95 |error|, precision and recall."""
    from jiliang.meters.evaluate import evaluate as score

    rows = _rows(result)
    needed = {"meter_id", "error_pct", "status"}
    if rows and not needed <= set(rows[0]):
        fail(f"{result.name}: not a result file (needs {', '.join(sorted(needed))})")
    ev = score(rows, _rows(truth))
    if json_out:
        emit_json(ev.as_dict())
        return
    typer.echo(f"active meters        {ev.active} ({ev.estimated_active} estimated)")
    typer.echo(f"RMSE of error        {ev.rmse_pp:.3f} pp")
    typer.echo(f"P95 |error|          {ev.p95_abs_pp:.3f} pp")
    typer.echo(
        f"out of limit         precision {ev.precision:.3f}, recall {ev.recall:.3f} "
        f"({ev.flagged} flagged, {ev.true_out_of_limit} true)"
    )
    typer.echo(
        f"with suspect         precision {ev.precision_with_suspect:.3f}, recall {ev.recall_with_suspect:.3f}"
    )
    typer.echo(f"function failures    {ev.failures_found}/{ev.failures} found, {ev.false_failures} false")
    typer.echo(f"vacant flagged       {ev.vacant_flagged}/{ev.vacant}")
    if ev.thieves or ev.theft_flagged:
        typer.echo(
            f"suspected theft      precision {ev.theft_precision:.3f}, recall {ev.theft_recall:.3f} "
            f"({ev.theft_flagged} flagged, {ev.thieves} thieves)"
        )


@app.command("worklist")
def worklist_cmd(
    result: Path = typer.Argument(..., help="Result file of `jiliang meters estimate`."),
    out: Path | None = typer.Option(None, "--out", help="Write the worklist to a .csv or .parquet file."),
    top: int | None = typer.Option(None, help="Only the first N."),
    no_suspect: bool = typer.Option(False, "--no-suspect", help="Leave out meters in the guard band."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The ranked field-check worklist (failures, then out of limit, then suspect)."""
    from jiliang.meters.io import write_rows
    from jiliang.meters.worklist import WORKLIST_COLUMNS, worklist

    if top is not None and top < 1:
        fail(f"--top must be ≥ 1, got {top}")
    rows = _rows(result)
    if rows and not {"meter_id", "area_id", "status"} <= set(rows[0]):
        fail(f"{result.name}: not a result file")
    ranked = worklist(rows, include_suspect=not no_suspect, limit=top)
    if out is not None:
        write_rows(ranked, out, WORKLIST_COLUMNS)
    if json_out:
        emit_json(ranked)
    elif out is None:
        for r in ranked:
            e = "" if r["error_pct"] is None else f"{r['error_pct']:+.2f} %"
            typer.echo(
                f"{r['rank']:>4}  {r['meter_id']:<16} {r['area_id']:<10} {r['status']:<18} {e:>9}  {r['action']}"
            )
    else:
        typer.echo(f"{len(ranked)} meters → {out}")


@app.command("track")
def track_cmd(
    meters: Path = typer.Option(..., "--meters", help="Meters file (CSV or Parquet)."),
    readings: Path = typer.Option(..., "--readings", help="Readings file, or a folder partitioned by area."),
    area: str = typer.Option(..., "--area", help="The area to track."),
    out: Path = typer.Option(
        ..., "--out", help="Track file (.csv or .parquet): day, meter_id, error_pct, u_error_pct."
    ),
    window_days: int = typer.Option(7, "--window-days", help="Sliding window (days), limited-memory RLS."),
    forgetting: float | None = typer.Option(
        None, help="Forgetting factor per day instead of a window (0 < λ ≤ 1)."
    ),
    min_periods: int = typer.Option(300, "--min-periods", help="Minimum data groups for the batch fit."),
) -> None:
    """Track each meter's error day by day (sliding window or forgetting factor) and its drift."""
    from datetime import UTC, datetime

    from jiliang.meters.engine import estimate_one_area
    from jiliang.meters.io import write_rows
    from jiliang.meters.tracking import track
    from jiliang.meters.types import EstimationSettings

    if window_days < 1:
        fail(f"--window-days must be ≥ 1, got {window_days}")
    est = estimate_one_area(meters, readings, area, EstimationSettings(min_periods=min_periods))
    if est.design is None:
        fail(f"area {area}: no fit ({est.summary.message or est.summary.status})")
    tr = track(est.design, window_days=window_days, forgetting=forgetting)
    slope = tr.slope_pct_per_day()
    rows = []
    for k, day in enumerate(tr.days.tolist()):
        iso = datetime.fromtimestamp(day * 86400, UTC).date().isoformat()
        for j, mid in enumerate(tr.meter_ids):
            e, u = float(tr.error_pct[k, j]), float(tr.u_error_pct[k, j])
            rows.append(
                {
                    "day": iso,
                    "meter_id": mid,
                    "error_pct": None if e != e else e,
                    "u_error_pct": None if u != u else u,
                    "drift_pct_per_day": float(slope[j]),
                }
            )
    write_rows(rows, out, ["day", "meter_id", "error_pct", "u_error_pct", "drift_pct_per_day"])
    typer.echo(f"{len(tr.meter_ids)} meters × {len(tr.days)} days → {out}")


@app.command("ingest")
def ingest_cmd(
    broker: str = typer.Option(..., "--broker", help="MQTT 5 broker, mqtt://HOST:PORT."),
    topic: str = typer.Option("jiliang/readings/#", "--topic", help="Topic filter (QoS 1)."),
    store: Path = typer.Option(..., "--store", help="Folder of the Parquet store (area_id=…/date=…)."),
    client_id: str = typer.Option(
        "jiliang-ingest", "--client-id", help="Client id of the persistent session (one per ingestor)."
    ),
    shared_group: str | None = typer.Option(
        None, "--shared-group", help="Subscribe as $share/NAME/…: ingestors of one group split the load."
    ),
    batch: int = typer.Option(20_000, "--batch", help="Readings per durable write."),
    flush_seconds: float = typer.Option(1.0, "--flush-seconds", help="Longest wait before a write (s)."),
    max_inflight: int = typer.Option(
        100, "--max-inflight", help="Unacknowledged messages the broker may send (bounds memory)."
    ),
    max_bytes: int = typer.Option(1 << 20, "--max-bytes", help="Larger payloads go to the quarantine."),
    session_expiry: int = typer.Option(86_400, "--session-expiry", help="Session kept by the broker (s)."),
    max_messages: int | None = typer.Option(None, "--max-messages", help="Stop after N messages."),
    until_idle: float | None = typer.Option(
        None, "--until-idle", help="Stop after SECONDS without a message."
    ),
    index_entries: int = typer.Option(
        4_000_000,
        "--index-entries",
        help="(meter_id, ts) keys kept in memory for de-duplication (24 bytes each).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the totals as JSON at the end."),
) -> None:
    """Collect readings from MQTT into the store; a message is acknowledged once durable."""
    from jiliang.meters.ingest import IngestConfig, run_ingest

    if "/" not in topic or topic.startswith("$"):
        fail(f"--topic must be PREFIX/# or PREFIX/<area_id>, e.g. 'jiliang/readings/#', got {topic!r}")
    prefix = topic.rsplit("/", 1)[0]  # messages arrive on PREFIX/<area_id>
    config = IngestConfig(
        broker=broker,
        topic=topic,
        store=store,
        client_id=client_id,
        shared_group=shared_group,
        batch=batch,
        flush_seconds=flush_seconds,
        max_messages=max_messages,
        until_idle=until_idle,
        max_bytes=max_bytes,
        session_expiry=session_expiry,
        max_inflight=max_inflight,
        topic_prefix=prefix,
        index_entries=index_entries,
    )
    totals = run_ingest(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    if json_out:
        emit_json(totals)
    else:
        typer.echo(", ".join(f"{k}: {v}" for k, v in totals.items()))


# In-service meter lots (jiliang meters lots …), defined in their own module.
from jiliang.cli.lots import lots_app  # noqa: E402

app.add_typer(lots_app)
