"""What every benchmark records next to its figures: the command, the machine and the versions.

``save(name, command, results, packages)`` writes ``bench/results/<name>.json``; ``scripts/gen_docs.py``
renders every results file into the "Recorded runs" section of ``docs/benchmarks.md``, so the versions
printed there are the ones the run actually imported.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import platform
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def versions(packages: Iterable[str]) -> dict[str, str]:
    """Installed version of each distribution ("not installed" when absent)."""
    out: dict[str, str] = {}
    for name in packages:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and the load average when the run started."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def save(
    name: str,
    command: str,
    results: dict[str, Any],
    packages: Iterable[str],
    summary: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the run: ``summary`` rows (metric, value, unit, note) are what the docs table shows."""
    RESULTS.mkdir(exist_ok=True)
    doc = {
        "bench": name,
        "command": command,
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(["jiliang", *packages]),
        "summary": summary or [],
        "results": results,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    return path
