"""The registry guide documents every command and API operation of the registry."""

from __future__ import annotations

from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "registry.md"


def test_every_cli_command_is_documented():
    import typer.main

    from jiliang.cli.registry import app

    text = GUIDE.read_text("utf-8")
    group = typer.main.get_command(app)
    names = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        names.extend(f"{name} {sub}" for sub in subs) if subs else names.append(name)
    assert names
    for name in names:
        assert f"jiliang registry {name}" in text, name


def test_every_api_operation_is_documented(client):
    text = GUIDE.read_text("utf-8")
    ops = [
        op["operationId"]
        for path in client.get("/openapi.json").json()["paths"].values()
        for op in path.values()
    ]
    registry_ops = [o for o in ops if o.startswith("registry-")]
    assert len(registry_ops) >= 15
    for op in registry_ops:
        assert f"`{op}`" in text, op
