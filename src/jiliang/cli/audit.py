"""``jiliang audit``: check the hash chain of the audit log, write and export signed checkpoints."""

from __future__ import annotations

import importlib
import importlib.util
import json
import pkgutil
from pathlib import Path

import typer

from jiliang.cli.common import console, emit_json, fail, open_db, settings

app = typer.Typer(name="audit", help="Audit log.", no_args_is_help=True)


def _load_models() -> None:
    """Import every capability's tables, so an empty log beside filled tables is noticed."""
    import jiliang

    for info in pkgutil.iter_modules(jiliang.__path__):
        if info.ispkg and importlib.util.find_spec(f"jiliang.{info.name}.models") is not None:
            importlib.import_module(f"jiliang.{info.name}.models")


@app.command("verify")
def verify(
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="Also check against this exported checkpoint file (JSON)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Recompute the chain and check it against the signed checkpoints; exit 1 and say why if
    anything was altered, removed or rewound."""
    from jiliang.platform.checkpoint import read_checkpoint_file, verify_anchored

    cfg = settings()
    exported = read_checkpoint_file(checkpoint) if checkpoint is not None else []
    if checkpoint is not None and not exported:
        fail(f"{checkpoint}: the file holds no checkpoint")
    _load_models()
    db = open_db(cfg)
    with db.session() as session:
        result = verify_anchored(session, cfg.data_dir, exported)
    if json_out:
        emit_json(
            {
                "ok": result.ok,
                "entries": result.entries,
                "checkpoints": result.checkpoints,
                "first_bad_seq": result.first_bad_seq,
                "reason": result.reason,
            }
        )
        if not result.ok:
            raise typer.Exit(1)
        return
    if not result.ok:
        fail(f"audit chain broken: {result.reason}", 1)
    console.print(f"audit chain intact: {result.entries} entries, {result.checkpoints} checkpoints")


@app.command("checkpoint")
def checkpoint(
    export: Path | None = typer.Option(None, "--export", help="Also write the checkpoint to this JSON file."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Sign the chain's current length and head hash now (table and checkpoint file in the data
    folder); with --export also write it to FILE to keep elsewhere."""
    from jiliang.platform.checkpoint import write_checkpoint
    from jiliang.platform.db import utcnow

    cfg = settings()
    db = open_db(cfg)
    with db.session(actor="cli") as session:
        cp = write_checkpoint(session, cfg.data_dir, utcnow())
    data = cp.as_dict()
    if export is not None:
        try:
            export.write_text(json.dumps(data, indent=2) + "\n", encoding="ascii")
        except OSError as exc:
            fail(f"cannot write {export}: {exc.strerror or exc}")
    if json_out:
        emit_json(data)
        return
    console.print(f"checkpoint: {cp.entries} entries, head {cp.head[:16]}…, {cp.at.isoformat()}")
