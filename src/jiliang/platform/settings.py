"""Settings, read from the environment with the prefix ``JILIANG_``.

The caller builds a :class:`Settings` and hands it to :func:`jiliang.app.create_app`; nothing is
read at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiliang.errors import FieldError, InputError

__all__ = ["Settings", "load_settings"]

_INSECURE_DEFAULT_KEY = "jiliang-insecure-development-key-change-me"


class Settings(BaseSettings):
    """Every setting of the platform. Each maps to ``JILIANG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="JILIANG_", extra="forbid", frozen=True)

    data_dir: Path = Field(default=Path("./data"), description="Folder for the SQLite file and data.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; PostgreSQL in production. Default: SQLite in data_dir.",
    )
    secret_key: str = Field(
        default=_INSECURE_DEFAULT_KEY,
        min_length=16,
        description="Secret for signing; set a long random value in production.",
    )
    default_language: Literal["zh", "en"] = Field(default="zh", description="Language of the console.")
    max_body_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest request body the API accepts."
    )
    login_attempts: int = Field(default=5, gt=0, description="Failed logins allowed per window.")
    login_window_seconds: int = Field(default=300, gt=0, description="Window of the login rate limit.")
    token_ttl_days: int = Field(default=30, gt=0, description="Lifetime of a login token in days.")
    uncertainty_ratio_min: float = Field(
        default=4.0, gt=0, description="Minimum test uncertainty ratio down a traceability chain."
    )
    import_max_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest register file accepted for import."
    )
    figures_cache_seconds: int = Field(
        default=60,
        ge=0,
        le=86_400,
        description="Longest age of the dashboard figures (0: compute on every request).",
    )
    # Audit log: signed checkpoints of the chain (see jiliang.platform.checkpoint)
    audit_checkpoint_minutes: int = Field(
        default=60,
        ge=0,
        le=10_080,
        description="Minutes between audit checkpoints written by the server (0: only at start and stop).",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Base URL printed in QR codes and links; unset: the address the server is reached at.",
    )
    # Certificates (DCC): demo mode, trust anchors, PDF font, signature policy
    demo_mode: bool = Field(
        default=False,
        description="Demo mode: trust and sign with the demo CA made by `jiliang demo seed` (never in production).",
    )
    trust_anchors: Path | None = Field(
        default=None,
        description="PEM bundle of trusted CA certificates for verifying certificates (besides the platform CA).",
    )
    dcc_pdf_font: Path | None = Field(
        default=None,
        description="CJK font file (TTF/OTF/TTC) embedded in certificate PDFs; unset: a system font (Noto Sans CJK).",
    )
    signature_policy: Literal["B-LT", "B-T", "B-B"] = Field(
        default="B-LT",
        description="Signature level a certificate must meet to verify: B-LT (timestamp, chain, revocation data).",
    )
    # Meters: streaming collection (jiliang meters ingest)
    meters_ingest_store: Path | None = Field(
        default=None,
        description="Store of `jiliang meters ingest` whose live collection rates per area the meters page shows.",
    )

    # Security and concurrency of the server (see docs/guide/platform.md, "Security")
    server_threads: int = Field(
        default=40, ge=1, le=1000, description="Worker threads per process for blocking request work."
    )
    db_pool_size: int | None = Field(
        default=None, ge=1, le=1000, description="PostgreSQL pool size (default: server_threads)."
    )
    db_pool_overflow: int = Field(
        default=10, ge=0, le=1000, description="PostgreSQL connections opened beyond the pool at peaks."
    )
    sqlite_busy_timeout_ms: int = Field(
        default=10_000, ge=0, le=600_000, description="How long a SQLite writer waits for the write lock."
    )
    login_max_delay_seconds: int = Field(
        default=60, ge=1, le=3600, description="Longest wait imposed between failed logins."
    )
    login_address_attempts: int = Field(
        default=10, gt=0, description="Failed logins per client address (any user names) before slowing it."
    )
    login_global_attempts: int = Field(
        default=200, gt=0, description="Failed logins in all before slowing logins from unknown addresses."
    )
    password_min_length: int = Field(default=10, ge=8, le=128, description="Shortest password accepted.")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure flag of cookies; auto: when the request came over https."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy addresses/networks whose X-Forwarded-For/-Proto are trusted.",
    )
    # E-mail notifications of the verification workflow (off while smtp_host is empty)
    smtp_host: str = Field(default="", description="SMTP server for e-mail notifications; empty: none sent.")
    smtp_port: int = Field(default=25, gt=0, lt=65536, description="Port of the SMTP server.")
    smtp_from: str = Field(default="jiliang@localhost", description="Sender address of notifications.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_user: str = Field(default="", description="SMTP login name; empty: no login.")
    smtp_password: str = Field(default="", description="SMTP password (with smtp_user).")
    smtp_max_attempts: int = Field(
        default=10, gt=0, le=1000, description="Sends tried per message before it is left in the outbox."
    )

    timezone: str = Field(
        default="",
        description="IANA time zone of the city (e.g. Asia/Shanghai) for today's date; empty: the machine's.",
    )

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            if value:
                ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @property
    def effective_database_url(self) -> str:
        """The URL actually used: ``database_url`` or a SQLite file in ``data_dir``."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'jiliang.sqlite3').resolve()}"

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        import ipaddress

        for part in filter(None, (p.strip() for p in value.split(","))):
            ipaddress.ip_network(part, strict=False)  # ValueError names the bad entry
        return value

    @property
    def effective_pool_size(self) -> int:
        """PostgreSQL pool size: ``db_pool_size`` or one connection per worker thread."""
        return self.db_pool_size or self.server_threads

    @property
    def insecure_secret(self) -> bool:
        return self.secret_key == _INSECURE_DEFAULT_KEY


# Variables with the prefix that are not settings but are read elsewhere.
_OTHER_VARIABLES = {"JILIANG_PASSWORD", "JILIANG_TEST_PG", "JILIANG_TEST_WORKERS"}


def load_settings(**overrides: object) -> Settings:
    """Build :class:`Settings` from the environment, turning validation errors into InputError.

    A ``JILIANG_`` variable that is no setting is refused too: a typo must not pass silently.
    """
    known = {f"JILIANG_{name.upper()}" for name in Settings.model_fields} | _OTHER_VARIABLES
    unknown = sorted(k for k in os.environ if k.upper().startswith("JILIANG_") and k.upper() not in known)
    if unknown:
        raise InputError(
            f"unknown setting {unknown[0]}; known: {', '.join(sorted(known - _OTHER_VARIABLES))}",
            fields=[FieldError(k, "unknown setting") for k in unknown],
        )
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        fields = [
            FieldError(
                "JILIANG_" + "_".join(str(p) for p in err["loc"]).upper() if err["loc"] else "settings",
                err["msg"],
            )
            for err in exc.errors()
        ]
        first = fields[0]
        raise InputError(f"bad setting {first.field}: {first.message}", fields=fields) from None
