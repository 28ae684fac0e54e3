"""``jiliang cheating``: fuel-dispenser and charger checks on files, synthetic data, and, in the
database as the command line's regulator: submissions kept with their analysis, analyses run again,
submitted files as received, the key-supervision list and the detector's hit rate."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

from jiliang.cli.common import clock, console, emit_json, fail, open_db, system_principal

app = typer.Typer(
    name="cheating",
    help="Cheating checks: fuel dispensers, EV chargers, key supervision.",
    no_args_is_help=True,
)

MAX_BYTES = 256 * 1024 * 1024


def _bytes(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        if path.stat().st_size > MAX_BYTES:
            fail(f"{what} file {path} is larger than {MAX_BYTES} bytes")
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"{what} file {path} not found")
    except IsADirectoryError:
        fail(f"{what} file {path} is a folder")


@app.command("station")
def station_cmd(
    totalisers: Path = typer.Argument(
        ..., help="Totalisers CSV: ts, nozzle_id, dispenser_id, tank_id, totaliser_l."
    ),
    tank: Path = typer.Argument(
        ..., help="Tank-gauge CSV: ts, tank_id, volume_l, temperature_c, delivery_l."
    ),
    events: Path | None = typer.Option(
        None, "--events", help="Event-log CSV: ts, dispenser_id, kind, detail."
    ),
    gauge_sd: float = typer.Option(5.0, "--gauge-sd", help="Gauge reading noise, litres (1σ)."),
    approved: str = typer.Option(
        "", "--approved-software", help="Approved software identifications, comma-separated."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Reconcile every nozzle against the tank gauge and check the event log (JJG 443-2023)."""
    from jiliang.meters.cheating import limits
    from jiliang.meters.cheatio import parse_station
    from jiliang.meters.dispensers import ReconciliationSettings, analyse_station

    tot, tnk = _bytes(totalisers, "totalisers"), _bytes(tank, "tank")
    assert tot is not None and tnk is not None
    data, evs, dropped = parse_station("station", tot, tnk, _bytes(events, "events"))
    settings = ReconciliationSettings(
        mpe_pct=float(limits()["fuel_dispenser"]["mpe_pct"]), gauge_sd_l=gauge_sd
    )
    ids = frozenset(p.strip() for p in approved.split(",") if p.strip())
    res = analyse_station(data, evs, settings, ids or None)
    if json_out:
        tanks = [
            {k: v for k, v in asdict(t).items() if k not in ("partial", "chart_ts", "chart_residual_l")}
            for t in res.tanks
        ]
        emit_json({"mpe_pct": settings.mpe_pct, "dropped_readings": dropped, "tanks": tanks,
                   "nozzles": [asdict(n) for n in res.nozzles], "flags": [asdict(f) for f in res.flags],
                   "flagged_dispensers": list(res.flagged_dispensers)})  # fmt: skip
        return
    for n in res.nozzles:
        console.print(
            f"{n.nozzle_id} ({n.dispenser_id}, {n.tank_id}): δ {n.delta_pct:+.3f} % ± {n.u_pct:.3f} %  {n.status}"
        )
    for f in res.flags:
        console.print(f"{f.dispenser_id}: {f.kind}: {f.evidence}")
    console.print(f"flagged dispensers: {', '.join(res.flagged_dispensers) or 'none'}")


@app.command("charging")
def charging_cmd(
    registers: Path = typer.Argument(
        ..., help="Registers CSV: ts, device_id, role (upstream|charger), register_kwh."
    ),
    sessions: Path | None = typer.Option(
        None, "--sessions", help="Sessions CSV: charger_id, start, energy_kwh, vehicle_kwh."
    ),
    accuracy_class: str = typer.Option("2", "--class", help="Chargers' accuracy class (1 or 2)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check chargers against the upstream meter and the vehicles' energy (JJG 1148/1149-2022)."""
    from jiliang.meters.chargers import ChargerSettings, analyse_chargers
    from jiliang.meters.cheating import limits
    from jiliang.meters.cheatio import parse_charger_site

    lim = limits()["ev_charger"]["class_limits_pct"]
    if accuracy_class not in lim:
        fail(f"--class must be one of {', '.join(lim)}")
    reg = _bytes(registers, "registers")
    assert reg is not None
    site, ses = parse_charger_site("site", reg, _bytes(sessions, "sessions"))
    results = analyse_chargers(site, ses, ChargerSettings(limit_pct=float(lim[accuracy_class])))
    if json_out:
        emit_json({"limit_pct": lim[accuracy_class], "chargers": [asdict(c) for c in results]})
        return
    for c in results:
        e = "—" if c.e_pct is None else f"{c.e_pct:+.2f} % ± {c.u_pct:.2f} %"
        v = "—" if c.vehicle_e_pct is None else f"{c.vehicle_e_pct:+.2f} % ± {c.vehicle_u_pct:.2f} %"
        console.print(f"{c.charger_id}: balance {e}; vehicle {v}; {c.sessions} sessions; {c.status}")


def _stored(an: Any, replay: bool, json_out: bool) -> None:
    if json_out:
        from jiliang.meters.cheating import analysis_dict

        emit_json(analysis_dict(an, replay))
        return
    again = " (these files were received before: their first analysis)" if replay else ""
    console.print(f"analysis {an.id} of site {an.site_id} from submission {an.submission_id}{again}: "
                  f"{'flagged' if an.flagged else 'nothing flagged'}")  # fmt: skip


@app.command("submit-station")
def submit_station_cmd(
    org_id: int = typer.Option(
        ..., "--org", help="Organization (fuel station operator) the site belongs to."
    ),
    code: str = typer.Option(..., "--code", help="Site code, unique within the organization."),
    name: str = typer.Option(..., "--name", help="Site name."),
    totalisers: Path = typer.Argument(..., help="Totalisers CSV (as for `station`)."),
    tank: Path = typer.Argument(..., help="Tank-gauge CSV (as for `station`)."),
    events: Path | None = typer.Option(None, "--events", help="Event-log CSV."),
    approved: str = typer.Option(
        "", "--approved-software", help="Approved software identifications, comma-separated."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Keep a station's files and their analysis in the database, as an upload in the console does
    (one transaction, audited as ``cli``); the same files again return their first analysis."""
    from jiliang.meters import cheating

    tot, tnk = _bytes(totalisers, "totalisers"), _bytes(tank, "tank")
    assert tot is not None and tnk is not None
    with open_db().session(actor="cli") as session:
        an, replay = cheating.analyse_fuel_upload(
            session, system_principal(), org_id=org_id, code=code, name=name, totalisers=tot, tank=tnk,
            events=_bytes(events, "events"), now=clock().now(), approved_software=approved,
        )  # fmt: skip
        _stored(an, replay, json_out)


@app.command("submit-charging")
def submit_charging_cmd(
    org_id: int = typer.Option(..., "--org", help="Organization (charging operator) the site belongs to."),
    code: str = typer.Option(..., "--code", help="Site code, unique within the organization."),
    name: str = typer.Option(..., "--name", help="Site name."),
    registers: Path = typer.Argument(..., help="Registers CSV (as for `charging`)."),
    sessions: Path | None = typer.Option(None, "--sessions", help="Sessions CSV."),
    accuracy_class: str = typer.Option("2", "--class", help="Chargers' accuracy class (1 or 2)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Keep a charging site's files and their analysis in the database, as an upload in the console does."""
    from jiliang.meters import cheating

    reg = _bytes(registers, "registers")
    assert reg is not None
    with open_db().session(actor="cli") as session:
        an, replay = cheating.analyse_charger_upload(
            session, system_principal(), org_id=org_id, code=code, name=name, registers=reg,
            sessions=_bytes(sessions, "sessions"), accuracy_class=accuracy_class, now=clock().now(),
        )  # fmt: skip
        _stored(an, replay, json_out)


@app.command("rerun")
def rerun_cmd(
    analysis_id: int = typer.Argument(..., help="Analysis id."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Run an analysis again on the data it was made from, with the limits in force now (a new
    analysis is kept beside the earlier one)."""
    from jiliang.meters import cheating

    with open_db().session(actor="cli") as session:
        an = cheating.rerun(session, system_principal(), analysis_id, clock().now())
        _stored(an, False, json_out)


@app.command("site")
def site_cmd(
    site_id: int = typer.Argument(..., help="Site id."),
    analysis_id: int | None = typer.Option(None, "--analysis", help="An earlier analysis (default: latest)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """A site's analysis with its flags, the submission behind it (files with SHA-256) and every
    analysis of the site."""
    from jiliang.meters import cheating

    with open_db().session(actor="cli", write=False) as session:
        view, result, flags = cheating.site_detail(session, system_principal(), site_id, analysis_id)
        trace = cheating.provenance(session, system_principal(), site_id, analysis_id)
    if json_out:
        emit_json({"site": asdict(view), "result": result, "flags": flags,
                   "analysis": asdict(trace.analysis) if trace else None,
                   "submission": asdict(trace.submission) if trace and trace.submission else None,
                   "history": [asdict(a) for a in trace.history] if trace else []})  # fmt: skip
        return
    console.print(f"{view.id} {view.name} [{view.kind}]")
    if trace is None:
        console.print("no analysis yet")
        return
    for f in flags:
        console.print(f"  {f['device_id']}: {f['reason']}: {f['detail']}")
    if trace.submission is not None:
        for fv in trace.submission.files:
            console.print(f"  file {fv.id}: {fv.name} {fv.size} bytes sha256 {fv.sha256}")
    for a in trace.history:
        console.print(f"  analysis {a.id} {a.created_at:%Y-%m-%d %H:%M} by {a.created_by}"
                      f"{' flagged' if a.flagged else ''} (submission {a.submission_id})")  # fmt: skip


@app.command("file")
def file_cmd(
    file_id: int = typer.Argument(..., help="Submitted file id (listed by `jiliang cheating site`)."),
    out: Path = typer.Option(..., "--out", help="Where to write the file as received."),
) -> None:
    """Write a submitted file as received, after checking it against its SHA-256."""
    from jiliang.meters import cheating

    with open_db().session(actor="cli", write=False) as session:
        filename, data = cheating.submitted_file(session, system_principal(), file_id)
    out.write_bytes(data)
    console.print(f"wrote {out} ({filename}, {len(data)} bytes)")


@app.command("synth-station")
def synth_station_cmd(
    out: Path = typer.Option(
        ..., "--out", help="Folder for totalisers.csv, tank.csv, events.csv, truth.json."
    ),
    seed: int = typer.Option(1, "--seed", min=0),
    days: int = typer.Option(30, "--days", min=1, max=400),
    cheat: bool = typer.Option(False, "--cheat", help="One dispenser with a pulse-equivalent cheat."),
) -> None:
    """Write a synthetic station with its ground truth."""
    import numpy as np

    from jiliang.meters.cheatio import station_csv
    from jiliang.meters.dispensersynth import SynthStationConfig, synth_station

    st = synth_station(SynthStationConfig(days=days, cheat=cheat), np.random.default_rng(seed))
    out.mkdir(parents=True, exist_ok=True)
    for name, data in station_csv(st.data, st.events).items():
        (out / f"{name}.csv").write_bytes(data)
    truth = {"delta_pct": st.truth_pct, "cheating_dispenser": st.cheating_dispenser}
    (out / "truth.json").write_text(json.dumps(truth, indent=2), encoding="utf-8")
    console.print(f"wrote {out} (cheating dispenser: {st.cheating_dispenser or 'none'})")


@app.command("synth-charging")
def synth_charging_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for registers.csv, sessions.csv, truth.json."),
    seed: int = typer.Option(1, "--seed", min=0),
    days: int = typer.Option(28, "--days", min=1, max=400),
    drift: bool = typer.Option(False, "--drift", help="One charger drifting beyond its class."),
) -> None:
    """Write a synthetic charging site with its ground truth."""
    import numpy as np

    from jiliang.meters.chargersynth import ChargerSiteConfig, synth_charger_site
    from jiliang.meters.cheatio import charger_csv

    site = synth_charger_site(ChargerSiteConfig(days=days, drift=drift), np.random.default_rng(seed))
    out.mkdir(parents=True, exist_ok=True)
    for name, data in charger_csv(site.data, site.sessions).items():
        (out / f"{name}.csv").write_bytes(data)
    truth = {"e_end_pct": site.truth_end_pct, "drifting": site.drifting}
    (out / "truth.json").write_text(json.dumps(truth, indent=2), encoding="utf-8")
    console.print(f"wrote {out} (drifting charger: {site.drifting or 'none'})")


@app.command("keysites")
def keysites_cmd(
    targets_csv: Path | None = typer.Option(
        None, "--targets-csv", help="Also write the list as a draw targets CSV."
    ),
    key_only: bool = typer.Option(False, "--key-only", help="Only sites at or above the policy's score."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Sites ranked for key supervision (重点监管), each score explained, from the database."""
    from jiliang.meters import cheating
    from jiliang.meters.keysites import targets_csv as to_csv

    db = open_db()
    with db.session(actor="cli", write=False) as session:
        ranked = [r for r in cheating.keysites(session, system_principal()) if r.key or not key_only]
    db.dispose()
    if targets_csv is not None:
        targets_csv.write_text(to_csv(ranked), encoding="utf-8")
    if json_out:
        emit_json([{"rank": r.rank, "site_id": r.site_id, "name": r.name, "kind": r.kind, "score": r.score,
                    "key": r.key, "explanation": [list(e) for e in r.explanation]} for r in ranked])  # fmt: skip
        return
    for r in ranked:
        why = "; ".join(f"{reason} ×{n} = {p}" for reason, n, p in r.explanation) or "no flags"
        console.print(
            f"{r.rank}. {r.site_id} {r.name} [{r.kind}] score {r.score}{' KEY' if r.key else ''}: {why}"
        )


@app.command("hit-rate")
def hit_rate_cmd(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The detector's hit rate from recorded inspection and field-check outcomes."""
    from jiliang.meters import cheating

    db = open_db()
    with db.session(actor="cli", write=False) as session:
        h, counted = cheating.detector_hit_rate(session, system_principal())
    db.dispose()
    if json_out:
        emit_json({**asdict(h), "outcomes": counted})
        return
    if h.rate is None:
        console.print(f"no flagged site checked yet ({counted} outcomes)")
        return
    console.print(f"flagged sites checked {h.flagged_checked}, confirmed {h.flagged_confirmed}: "
                  f"{h.rate:.0%} (95 % {h.low:.0%}–{h.high:.0%})")  # fmt: skip
    if h.base_rate is not None:
        console.print(
            f"unflagged sites checked {h.unflagged_checked}, confirmed {h.unflagged_confirmed}: {h.base_rate:.0%}"
        )
