"""Package surface (migrations against models: tests/platform/test_migrations.py), the demo seeder, lazy imports of the delivery layers."""

import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import jiliang.meters as pkg


def test_all_equals_public_names():
    import inspect

    public = {n for n, v in vars(pkg).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert set(pkg.__all__) == public


def test_demo_seeder_stores_a_run(tmp_path):
    from sqlalchemy import func, select

    from jiliang.demo.city import City
    from jiliang.meters.demo import seed
    from jiliang.meters.models import MeterResult
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade
    from jiliang.platform.models import Organization

    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    upgrade(db)
    with db.session(actor="demo") as s:
        org = Organization(name="供电局", kind="utility")
        s.add(org)
        s.flush()
        city = City(size="small", seed=1, as_of=date(2026, 11, 1), org_ids={"power": org.id})
        counts = seed(s, city, random.Random(1))
        assert counts["meter_results"] == 120
        assert s.scalar(select(func.count()).select_from(MeterResult)) == 120
    db.dispose()


def test_cli_and_api_modules_import_no_heavy_library():
    code = (
        "import sys, jiliang.cli.meters, jiliang.api.meters; "
        "heavy = [m for m in ('numpy', 'polars', 'duckdb', 'pyspark', 'pyarrow') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
