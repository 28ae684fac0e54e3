"""The public surface of jiliang.uncertainty, and its purity."""

from __future__ import annotations

import subprocess
import sys

import jiliang.uncertainty as pkg


def test_all_equals_public_names():
    import types

    public = {
        n for n, v in vars(pkg).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert set(pkg.__all__) == public


def test_importable_without_the_service_stack():
    code = (
        "import sys, jiliang.uncertainty as u;"
        "bad = [m for m in ('fastapi', 'sqlalchemy', 'typer', 'pydantic_settings', 'matplotlib') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_decide_is_exported_for_other_capabilities():
    d = pkg.decide(1.0, 0.01, 0.9, 1.1, "guard_band")
    assert d.accepted and d.acceptance == (0.92, 1.08)
