"""E-mail notifications of the verification workflow, through an outbox.

A state change that someone should hear about (a booking requested, accepted, declined, scheduled
or completed; a work order assigned) writes a :class:`~jiliang.verification.models.MailMessage`
in the same transaction, addressed to the users of the organisation concerned who gave an e-mail
address. Nothing is sent inside that transaction: :func:`send_pending` runs after it commits (after
the request that made the change, from the status job, or from ``jiliang verification send-mail``)
and sends each unsent message on its own; a message the server refuses, or that cannot reach it,
stays in the outbox with its error and is tried again next time. So a failed send never loses a
state change, and a rolled-back change sends nothing.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from jiliang.platform.models import Organization, User
from jiliang.verification.models import Booking, MailMessage

__all__ = ["EVENTS", "SendReport", "SmtpConfig", "booking_event", "send_pending", "work_order_assigned"]

#: event → (who hears of it, subject template)
EVENTS: dict[str, tuple[str, str]] = {
    "submit": ("lab", "【计量检定】新的检定申请 #{id}（{owner}）"),
    "accept": ("owner", "【计量检定】检定申请 #{id} 已受理，受理号 {receipt}"),
    "decline": ("owner", "【计量检定】检定申请 #{id} 未被受理"),
    "schedule": ("owner", "【计量检定】检定申请 #{id} 已安排在 {on}"),
    "complete": ("owner", "【计量检定】检定申请 #{id} 已完成"),
    "assign": ("assignee", "【计量检定】现场核查工单 #{id} 已派给贵单位"),
}
_CLAIM_FOR = timedelta(minutes=5)  # a claimed message no sender finished is taken again after this


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to send (from the ``smtp_*`` settings)."""

    host: str
    port: int = 25
    sender: str = "jiliang@localhost"
    starttls: bool = False
    user: str = ""
    password: str = ""
    max_attempts: int = 10
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpConfig | None:
        """The configuration, or None when no SMTP server is configured (mail is off)."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user,
            password=settings.smtp_password,
            max_attempts=settings.smtp_max_attempts,
        )


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int
    failed: int
    pending: int

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "pending": self.pending}


def _addresses(session: Session, org_id: int | None) -> list[str]:
    if org_id is None:
        return []
    rows = session.scalars(
        select(User.email).where(User.org_id == org_id, User.active.is_(True), User.email.is_not(None))
    )
    return sorted({e.strip() for e in rows if e and e.strip()})


def _enqueue(
    session: Session, event: str, org_id: int | None, subject: str, body: str, now: datetime
) -> None:
    to = _addresses(session, org_id)
    if to:
        session.add(MailMessage(event=event, recipients=to, subject=subject[:200], body=body, created_at=now))


def booking_event(session: Session, b: Booking, action: str, now: datetime) -> None:
    """Write the notification of ``action`` on booking ``b`` (if it is one people hear of)."""
    if action not in EVENTS or action == "assign":
        return
    who, template = EVENTS[action]
    to = _addresses(session, b.lab_id if who == "lab" else b.owner_id)
    if not to:
        return
    names: dict[int, str] = {
        oid: name
        for oid, name in session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_([b.owner_id, b.lab_id]))
        ).all()
    }
    subject = template.format(
        id=b.id, owner=names.get(b.owner_id, ""), receipt=b.receipt_no or "", on=b.scheduled_on or ""
    )
    lines = [
        subject,
        "",
        f"申请单位：{names.get(b.owner_id, '')}",
        f"检定机构：{names.get(b.lab_id, '')}",
        f"期望日期：{b.preferred_on}",
    ]
    if b.scheduled_on:
        lines.append(f"安排日期：{b.scheduled_on}")
    if b.reason and action == "decline":
        lines.append(f"原因：{b.reason}")
    lines += ["", f"详情见平台：/verification/bookings/{b.id}"]
    session.add(
        MailMessage(event=action, recipients=to, subject=subject[:200], body="\n".join(lines), created_at=now)
    )


def work_order_assigned(session: Session, wo_id: int, org_id: int | None, serial: str, now: datetime) -> None:
    """Write the notification that work order ``wo_id`` was assigned to ``org_id``."""
    subject = EVENTS["assign"][1].format(id=wo_id)
    body = f"{subject}\n\n器具出厂编号：{serial}\n\n详情见平台：/verification/work-orders/{wo_id}"
    _enqueue(session, "assign", org_id, subject, body, now)


def _message(cfg: SmtpConfig, m: MailMessage) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr(("计量平台", cfg.sender))
    msg["To"] = ", ".join(m.recipients)
    msg["Subject"] = m.subject
    msg["Message-ID"] = make_msgid(idstring=f"jiliang-outbox-{m.id}")
    msg.set_content(m.body)
    return msg


def _send(cfg: SmtpConfig, msg: EmailMessage, to: list[str]) -> None:
    with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
        if cfg.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if cfg.user:
            smtp.login(cfg.user, cfg.password)
        smtp.send_message(msg, to_addrs=to)


def _claim(db: Any, cfg: SmtpConfig, now: datetime, limit: int) -> list[int]:
    with db.session(actor="mail") as session:
        stale = now - _CLAIM_FOR
        ids = list(
            session.scalars(
                select(MailMessage.id)
                .where(
                    MailMessage.sent_at.is_(None),
                    MailMessage.attempts < cfg.max_attempts,
                    or_(MailMessage.claimed_at.is_(None), MailMessage.claimed_at < stale),
                )
                .order_by(MailMessage.id)
                .limit(limit)
            )
        )
        if not ids:
            return []
        session.execute(
            update(MailMessage)
            .where(
                MailMessage.id.in_(ids),
                or_(MailMessage.claimed_at.is_(None), MailMessage.claimed_at < stale),
            )
            .values(claimed_at=now)
        )
    return ids


def send_pending(db: Any, cfg: SmtpConfig | None, now: datetime, limit: int = 500) -> SendReport:
    """Send the outbox's unsent messages (each in its own transaction); report what happened.

    ``db`` is the :class:`~jiliang.platform.db.Database`; with ``cfg`` None (mail off) nothing is
    sent and the messages wait.
    """
    sent = failed = 0
    if cfg is not None:
        for mid in _claim(db, cfg, now, limit):
            with db.session(actor="mail") as session:
                m = session.get(MailMessage, mid)
                if m is None or m.sent_at is not None:
                    continue
                msg, to = _message(cfg, m), list(m.recipients)
            try:
                _send(cfg, msg, to)
            except (OSError, smtplib.SMTPException) as exc:
                error: str | None = f"{type(exc).__name__}: {exc}"[:1000]
                failed += 1
            else:
                error = None
                sent += 1
            with db.session(actor="mail") as session:
                values: dict[str, Any] = {"attempts": MailMessage.attempts + 1, "claimed_at": None}
                values |= {"last_error": error} if error else {"sent_at": now, "last_error": None}
                session.execute(update(MailMessage).where(MailMessage.id == mid).values(**values))
    with db.session(actor="mail", write=False) as session:
        pending = len(list(session.scalars(select(MailMessage.id).where(MailMessage.sent_at.is_(None)))))
    return SendReport(sent=sent, failed=failed, pending=pending)
