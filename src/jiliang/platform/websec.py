"""Web hygiene shared by the API and the console: client address, CSRF tokens, security headers.

* **Client address.** ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only when the
  direct peer is one of the ``trusted_proxies`` (default: none); the address is then the right-most
  hop that is not itself a trusted proxy.
* **CSRF.** Signed double-submit: a random ``jiliang_csrf`` cookie (HttpOnly, SameSite=Lax) and, in
  every console form, ``HMAC-SHA256(secret_key, cookie)``; unsafe requests must also come from the
  same origin when the browser says where they come from (``Origin``, else ``Referer``).
* **Headers.** Every response gets ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin`` and a ``Content-Security-Policy`` that allows only this site's
  own styles, scripts and images (a response may set a stricter one of its own); over https also
  ``Strict-Transport-Security``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from functools import cache
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiliang.errors import PermissionDeniedError

__all__ = [
    "CSP",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "UNSAFE_METHODS",
    "CrossSiteError",
    "CsrfError",
    "SecurityHeaders",
    "check_origin",
    "client_address",
    "cookie_secure",
    "csrf_token",
    "csrf_valid",
    "new_csrf_seed",
    "request_scheme",
]

CSRF_COOKIE = "jiliang_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_NO_CSP_PATHS = ("/api/docs",)  # Swagger UI brings its own inline script


class CsrfError(PermissionDeniedError):
    """An unsafe request without a valid CSRF token or from another origin."""

    code = "csrf_failed"


class CrossSiteError(CsrfError):
    """An unsafe request that the browser says comes from another site."""

    code = "cross_site_request"


@cache
def _networks(trusted: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in trusted.split(",") if p.strip())


def _is_trusted(address: str, trusted: str) -> bool:
    nets = _networks(trusted)
    if not nets:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_address(conn: HTTPConnection, trusted: str) -> str:
    """The client's address: the peer, or what trusted proxies say in ``X-Forwarded-For``."""
    peer = conn.client.host if conn.client else "?"
    if not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(conn.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop[:64]
    return peer


def request_scheme(conn: HTTPConnection, trusted: str) -> str:
    """``https`` or ``http``: the connection's scheme, or ``X-Forwarded-Proto`` from a trusted proxy."""
    peer = conn.client.host if conn.client else "?"
    forwarded = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if forwarded in ("http", "https") and _is_trusted(peer, trusted):
        return forwarded
    return "https" if conn.url.scheme in ("https", "wss") else "http"


def cookie_secure(setting: str, scheme: str) -> bool:
    """Whether cookies get the ``Secure`` flag: ``always``, ``never`` or ``auto`` (over https)."""
    return setting == "always" or (setting == "auto" and scheme == "https")


def new_csrf_seed() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(secret_key: str, seed: str) -> str:
    """The token for the forms of a browser holding the CSRF cookie ``seed``."""
    return hmac.new(secret_key.encode(), b"csrf|" + seed.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, seed: str | None, token: str | None) -> bool:
    if not seed or not token or len(token) > 128:
        return False
    return hmac.compare_digest(csrf_token(secret_key, seed), token)


def check_origin(conn: HTTPConnection, public_base_url: str | None) -> None:
    """Refuse an unsafe request that the browser says comes from another site.

    ``Origin`` (else ``Referer``) must name this host (the ``Host`` header) or the host of
    ``public_base_url``; requests that carry neither (non-browser clients) pass this check.
    """
    source = conn.headers.get("origin") or conn.headers.get("referer")
    if not source:
        return
    if source == "null":
        raise CrossSiteError("request refused: it comes from an opaque origin")
    netloc = urlsplit(source).netloc.lower()
    allowed = {conn.headers.get("host", "").lower()}
    if public_base_url:
        allowed.add(urlsplit(public_base_url).netloc.lower())
    if netloc not in allowed:
        raise CrossSiteError(f"request refused: it comes from another site ({netloc or source[:80]})")


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, trusted_proxies: str = "") -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        https = request_scheme(conn, self.trusted_proxies) == "https"
        with_csp = not scope.get("path", "").startswith(_NO_CSP_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if with_csp:
                    extra.append((b"content-security-policy", CSP.encode()))
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
