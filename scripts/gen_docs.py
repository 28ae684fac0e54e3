"""Generate docs/cli.md, docs/api.md and docs/settings.md from the code.

Run ``.venv/bin/python scripts/gen_docs.py`` after changing a command, an API operation or a
setting; ``tests/test_docs.py`` fails when the files are out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli_reference() -> str:
    import typer

    from jiliang.cli.main import build

    root = typer.main.get_command(build())
    out = [
        "# CLI reference",
        "",
        "Generated from the code by `scripts/gen_docs.py`; do not edit by hand.",
        "Every command exits 0 on success and ≠ 0 with one line `error: <reason>` on bad input.",
        "",
    ]

    def walk(cmd, path: list[str]) -> None:  # type: ignore[no-untyped-def]
        subs = getattr(cmd, "commands", None)
        if subs:
            if path:
                out.extend([f"## `{' '.join(path)}`", "", (cmd.help or "").strip(), ""])
            for name in sorted(subs):
                walk(subs[name], [*path, name])
            return
        out.extend([f"### `{' '.join(path)}`", "", (cmd.help or "").strip().split("\n\n")[0], ""])
        rows = []
        for p in cmd.params:
            if p.name == "help":
                continue
            names = ", ".join(f"`{o}`" for o in (p.opts + list(p.secondary_opts))) if p.param_type_name == "option" else f"`{p.name.upper()}`"
            default = "" if p.required or p.default in (None, False) else f" (default: `{p.default}`)"
            req = " **required**" if p.required else ""
            rows.append(f"| {names} | {(getattr(p, 'help', '') or '').strip()}{default}{req} |")
        if rows:
            out.extend(["| argument / option | meaning |", "| --- | --- |", *rows, ""])

    walk(root, ["jiliang"])
    return "\n".join(out).rstrip() + "\n"


def api_reference() -> str:
    from jiliang.app import create_app
    from jiliang.platform.settings import Settings

    spec = create_app(Settings(data_dir=Path("/nonexistent-docs"))).openapi()
    out = [
        "# HTTP API reference",
        "",
        "Generated from the OpenAPI description by `scripts/gen_docs.py`; do not edit by hand.",
        "The live description is at `/openapi.json` and browsable at `/api/docs`.",
        "",
        "Authentication: `Authorization: Bearer <token>` (from `POST /api/auth/login` or",
        "`POST /api/auth/tokens`); the console's login cookie works too. Every error has one body:",
        '`{"status": 404, "code": "not_found", "message": "…", "errors": [{"field": "…", "message": "…"}]}`.',
        "Every operation documents its error answers (401, 403, 404, 409, 413, 422, 429, 503) with this",
        "body (`ErrorBody`), and file downloads their media types (CSV, XLSX, XML, PDF, HTML). Ids in",
        "paths, queries and bodies are 1 … 2^63 − 1; anything else is 422.",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            by_tag.setdefault(op.get("tags", ["default"])[0], []).append((method.upper(), path, op))
    for tag in sorted(by_tag):
        out.extend([f"## {tag}", "", "| operation id | method | path | summary |", "| --- | --- | --- | --- |"])
        for method, path, op in sorted(by_tag[tag], key=lambda x: (x[1], x[0])):
            out.append(f"| `{op['operationId']}` | {method} | `{path}` | {op.get('summary', '')} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def settings_reference() -> str:
    from jiliang.platform.settings import Settings

    out = [
        "# Settings",
        "",
        "Generated from `jiliang.platform.settings.Settings` by `scripts/gen_docs.py`.",
        "Each setting is read from the environment variable `JILIANG_<NAME>`; an unknown",
        "`JILIANG_` variable or a bad value stops every command with a one-line reason.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "SQLite file in the data folder" if name == "database_url" else f"`{default}`"
        if name == "secret_key":
            shown = "an insecure development key: set it in production"
        out.append(f"| `JILIANG_{name.upper()}` | {shown} | {field.description or ''} |")
    return "\n".join(out) + "\n"


FILES = {"docs/cli.md": cli_reference, "docs/api.md": api_reference, "docs/settings.md": settings_reference}


def main() -> int:
    for rel, make in FILES.items():
        (ROOT / rel).write_text(make(), "utf-8")
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
