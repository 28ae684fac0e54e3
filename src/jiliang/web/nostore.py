"""``Cache-Control: no-store`` on every answer to a logged-in caller.

Pages behind the login and API answers to a token carry personal data: the browser must not keep
them, so after logging out the Back button cannot show the register again. Static files are
exempt (they carry nothing personal and should be cached).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiliang.web.deps import TOKEN_COOKIE

__all__ = ["NoStoreForCallers"]

_COOKIE = TOKEN_COOKIE.encode() + b"="


def _carries_credentials(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return True
        if name == b"cookie" and _COOKIE in value:
            return True
    return False


class NoStoreForCallers:
    """Pure ASGI middleware: adds ``Cache-Control: no-store`` unless the answer set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or str(scope.get("path", "")).startswith("/static/")
            or not _carries_credentials(scope)
        ):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_no_store)
