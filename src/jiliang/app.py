"""Assembles the platform: settings, database, the API routers and the web console.

Routers are discovered: every module of :mod:`jiliang.api` with a ``router`` and every module of
:mod:`jiliang.web` with a ``router`` is mounted, in name order. A capability adds its delivery by
adding a module; nothing here changes. Heavy libraries are imported inside the handlers that need
them, so the app starts fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.staticfiles import StaticFiles

from jiliang import __version__
from jiliang.platform import audit
from jiliang.platform.clock import Clock
from jiliang.platform.db import Database
from jiliang.platform.settings import Settings
from jiliang.platform.throttle import LoginThrottle

__all__ = ["create_app", "create_app_from_env", "delivery_modules", "login_throttle"]


def delivery_modules(package: str) -> list[ModuleType]:
    """The modules of a delivery package (``jiliang.api`` or ``jiliang.web``) that have a router."""
    pkg = importlib.import_module(package)
    found = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        if hasattr(module, "router"):
            found.append(module)
    return found


class MailAfterCommit:
    """After a request that may have changed a booking or work order has been answered (its
    transaction committed), send what it put in the e-mail outbox; a failed send waits there."""

    _PATHS = ("/api/verification", "/verification")

    def __init__(self, app: Any, settings: Settings) -> None:
        from jiliang.verification.mail import SmtpConfig

        self.app, self.cfg = app, SmtpConfig.from_settings(settings)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return
        if not scope["path"].startswith(self._PATHS):
            return
        from starlette.concurrency import run_in_threadpool

        from jiliang.platform.db import utcnow
        from jiliang.verification.mail import send_pending

        await run_in_threadpool(send_pending, scope["app"].state.db, self.cfg, utcnow())


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(settings: Settings, db: Database | None = None, clock: Clock | None = None) -> FastAPI:
    """Build the ASGI app for ``settings``. Nothing happens at import time.

    ``db`` may be handed in (tests share one); by default it is opened from the settings.
    ``clock`` pins the time pages and routes see (tests); by default the running clock in the
    settings' time zone.
    """
    from fastapi import Depends

    from jiliang.api.deps import csrf_for_cookie_auth
    from jiliang.api.errors import install_error_handlers
    from jiliang.api.limits import BodySizeLimit
    from jiliang.api.openapi import install_openapi
    from jiliang.platform.websec import SecurityHeaders
    from jiliang.web.deps import csrf_protect
    from jiliang.web.errors import safe_error_page
    from jiliang.web.nostore import NoStoreForCallers

    audit.install()
    app = FastAPI(
        lifespan=_lifespan,
        title="Jiliang API",
        version=__version__,
        description="Jiliang (计量): registry, traceability, uncertainty, certificates, meter supervision.",
        generate_unique_id_function=_operation_id,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db or Database.from_settings(settings)
    app.state.clock = clock or Clock.in_zone(settings.timezone)
    app.state.login_throttle = login_throttle(settings)
    install_error_handlers(app)
    install_openapi(app)
    app.state.error_page = safe_error_page
    _install_login_redirect(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.smtp_host:
        app.add_middleware(MailAfterCommit, settings=settings)
    app.add_middleware(NoStoreForCallers)
    app.add_middleware(SecurityHeaders, trusted_proxies=settings.trusted_proxies)
    for module in delivery_modules("jiliang.api"):
        app.include_router(
            module.router,
            prefix="/api" if getattr(module, "PREFIXED", True) else "",
            dependencies=[Depends(csrf_for_cookie_auth)],
        )
    page_paths: set[str] = set()
    for module in delivery_modules("jiliang.web"):
        app.include_router(module.router, include_in_schema=False, dependencies=[Depends(csrf_protect)])
        page_paths.update(getattr(r, "path", "") for r in module.router.routes)
    app.state.page_paths = frozenset(page_paths)
    static = _static_app()
    if static is not None:
        app.mount("/static", static, name="static")
    return app


def login_throttle(settings: Settings) -> LoginThrottle:
    """The login throttle configured by ``settings`` (see :mod:`jiliang.platform.throttle`)."""
    return LoginThrottle(
        account_attempts=settings.login_attempts,
        address_attempts=settings.login_address_attempts,
        global_attempts=settings.login_global_attempts,
        window=settings.login_window_seconds,
        max_delay=settings.login_max_delay_seconds,
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Blocking request work runs on ``server_threads`` threads (the pool is sized to match)."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.settings.server_threads
    yield


def _install_login_redirect(app: FastAPI) -> None:
    """Console pages that need a user send anonymous visitors to the login page."""
    from urllib.parse import quote

    from fastapi import Request
    from fastapi.responses import RedirectResponse

    from jiliang.web.deps import LoginRequired

    @app.exception_handler(LoginRequired)
    async def _to_login(_request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)


def _static_app() -> StaticFiles | None:
    from pathlib import Path

    folder = Path(__file__).parent / "web" / "static"
    return StaticFiles(directory=folder) if folder.is_dir() else None


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several workers: settings from the environment.

    The served app also writes signed audit checkpoints at start, every
    ``audit_checkpoint_minutes`` and at shutdown.
    """
    from jiliang.platform.settings import load_settings

    app = create_app(load_settings())
    app.router.lifespan_context = _checkpoint_lifespan
    return app


def _write_checkpoint(app: FastAPI) -> None:
    import logging

    from jiliang.errors import JiliangError
    from jiliang.platform.checkpoint import write_checkpoint
    from jiliang.platform.db import utcnow

    try:
        with app.state.db.session(actor="checkpoint") as session:
            write_checkpoint(session, app.state.settings.data_dir, utcnow())
    except (JiliangError, OSError) as exc:  # never stop the server; the log says why
        logging.getLogger("jiliang.audit").error("audit checkpoint not written: %s", exc)


@asynccontextmanager
async def _checkpoint_lifespan(app: FastAPI) -> AsyncIterator[None]:
    import asyncio

    await asyncio.to_thread(_write_checkpoint, app)
    minutes = app.state.settings.audit_checkpoint_minutes

    async def periodic() -> None:
        while True:
            await asyncio.sleep(minutes * 60)
            await asyncio.to_thread(_write_checkpoint, app)

    task = asyncio.create_task(periodic()) if minutes > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
        await asyncio.to_thread(_write_checkpoint, app)
