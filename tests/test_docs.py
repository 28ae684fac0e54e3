"""The reference docs are generated from the code and must not drift from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
gen_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_docs)


@pytest.mark.parametrize("rel", sorted(gen_docs.FILES))
def test_reference_is_up_to_date(rel):
    expected = gen_docs.FILES[rel]()
    actual = (ROOT / rel).read_text("utf-8")
    assert actual == expected, f"{rel} is out of date: run .venv/bin/python scripts/gen_docs.py"


def test_readme_links_resolve():
    import re

    text = (ROOT / "README.md").read_text("utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target


def test_every_capability_with_a_cli_has_a_guide():
    cli = ROOT / "src" / "jiliang" / "cli"
    platform_cmds = {"main", "common", "serve", "db", "demo", "user", "audit", "__init__"}
    for module in cli.glob("*.py"):
        if module.stem not in platform_cmds:
            assert (ROOT / "docs" / "guide" / f"{module.stem}.md").exists(), module.stem
