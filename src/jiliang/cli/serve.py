"""``jiliang serve``: run the API and the web console."""

from __future__ import annotations

import typer

from jiliang.cli.common import fail, open_db, settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """Serve the web console and the API (http://HOST:PORT, API under /api, OpenAPI at /openapi.json)."""
    import uvicorn

    from jiliang.platform.migrate import pending

    cfg = settings()
    db = open_db(cfg)
    if pending(db):
        fail("the database schema is not up to date; run `jiliang db upgrade` first")
    db.dispose()
    if cfg.demo_mode:
        from jiliang.cli.common import err_console

        err_console.print(
            "[bold yellow]warning:[/] demo mode is on (JILIANG_DEMO_MODE): the demo CA signs and is trusted; "
            "never use demo mode in production"
        )
    # The app is built by its factory from the same environment, in each worker. uvicorn's own
    # proxy-header handling is off: the app believes X-Forwarded-* only from JILIANG_TRUSTED_PROXIES.
    uvicorn.run(
        "jiliang.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        # keep idle connections longer than the clients and proxies that reuse them (nginx: 60–75 s):
        # with uvicorn's 5 s, a request sent on a connection the server is just closing is reset
        timeout_keep_alive=75,
    )


COMMANDS = [serve]
