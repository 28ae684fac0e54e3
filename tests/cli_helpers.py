"""Run the ``jiliang`` command as a real subprocess and read its one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(args: list[str], data: Path, env: dict[str, str] | None = None, stdin: str | None = None):
    """``python -m jiliang ARGS`` with ``JILIANG_DATA_DIR=data`` and no other JILIANG_ variable."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("JILIANG_")}
    full_env.update({"JILIANG_DATA_DIR": str(data), "COLUMNS": "200"})
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "jiliang", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        timeout=120,
    )


def one_line_error(proc) -> str:
    """The single ``error: …`` line of a failed command (and no traceback)."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]
