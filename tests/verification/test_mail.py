"""E-mail notifications through a real SMTP server on loopback (aiosmtpd): recipients, Chinese
subjects, and the outbox keeping a state change's message while the server is down."""

from __future__ import annotations

import email
import socket
from email.policy import default as default_policy

import pytest
from sqlalchemy import select, update

from jiliang.platform.db import utcnow
from jiliang.platform.models import User
from jiliang.verification.mail import SmtpConfig, send_pending
from jiliang.verification.models import MailMessage

from .conftest import LAB_ORG, act, instruments_of, soon

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


class Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return _free_port()


@pytest.fixture
def smtp(smtp_port):  # type: ignore[no-untyped-def]
    handler = Collect()
    ctl = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=smtp_port)
    ctl.start()
    yield ctl, handler
    if ctl._thread is not None:  # the test may have stopped it
        ctl.stop()


@pytest.fixture
def settings(settings, smtp_port):  # type: ignore[no-untyped-def]
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_from": "jl@city.test"}
    )


@pytest.fixture
def addresses(app, seeded):  # type: ignore[no-untyped-def]
    with app.state.db.session() as s:
        for name in ("lab", "market"):
            s.execute(update(User).where(User.username == name).values(email=f"{name}@city.test"))


def test_booking_events_reach_the_right_people_in_chinese(client, auth_headers, smtp, addresses):
    _, handler = smtp
    got = handler.messages
    market, lab = auth_headers("market"), auth_headers("lab")
    ids = instruments_of(client, market)
    r = client.post(
        "/api/verification/bookings",
        json={"instrument_ids": ids[:1], "lab_id": LAB_ORG, "mode": "send_in", "preferred_on": soon()},
        headers=market,
    )
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    assert act(client, lab, bid, "accept").status_code == 200
    assert [to for to, _ in got] == [["lab@city.test"], ["market@city.test"]]
    subjects = [m["Subject"] for _, m in got]
    assert "新的检定申请" in subjects[0] and f"#{bid}" in subjects[0]
    assert "已受理" in subjects[1]
    assert got[1][1]["From"].addresses[0].addr_spec == "jl@city.test"
    assert "检定机构" in got[1][1].get_content()


def test_state_change_is_kept_when_the_server_is_down_and_sent_later(
    app, client, auth_headers, smtp, smtp_port, addresses
):
    ctl, handler = smtp
    got = handler.messages
    market, lab = auth_headers("market"), auth_headers("lab")
    ids = instruments_of(client, market)
    bid = client.post(
        "/api/verification/bookings",
        json={"instrument_ids": ids[:1], "lab_id": LAB_ORG, "mode": "send_in", "preferred_on": soon()},
        headers=market,
    ).json()["id"]
    ctl.stop()  # the mail server goes away
    r = act(client, lab, bid, "accept")
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    r = act(client, lab, bid, "schedule", on=soon(10))
    assert r.status_code == 200 and r.json()["state"] == "scheduled"
    with app.state.db.session() as s:
        waiting = s.scalars(select(MailMessage).where(MailMessage.sent_at.is_(None))).all()
        assert [m.event for m in waiting] == ["accept", "schedule"]
        assert [m.attempts for m in waiting] == [2, 1] and all(m.last_error for m in waiting)  # retried
    assert len(got) == 1  # only the request, sent before the server went away
    # a fresh server on the same port
    restarted = aiosmtpd_controller.Controller(Collect(), hostname="127.0.0.1", port=smtp_port)
    restarted.start()
    try:
        cfg = SmtpConfig.from_settings(app.state.settings)
        report = send_pending(app.state.db, cfg, utcnow())
        assert (report.sent, report.failed, report.pending) == (2, 0, 0)
        later = restarted.handler.messages
        assert [to for to, _ in later] == [["market@city.test"], ["market@city.test"]]
        assert "已安排" in later[1][1]["Subject"]
        assert send_pending(app.state.db, cfg, utcnow()).sent == 0  # sent once
    finally:
        restarted.stop()


def test_no_address_no_message_and_mail_off_keeps_the_outbox(app, client, auth_headers, seeded):
    market = auth_headers("market")
    ids = instruments_of(client, market)
    r = client.post(
        "/api/verification/bookings",
        json={"instrument_ids": ids[:1], "lab_id": LAB_ORG, "mode": "send_in", "preferred_on": soon()},
        headers=market,
    )
    assert r.status_code == 201
    with app.state.db.session() as s:
        assert s.scalars(select(MailMessage)).all() == []  # nobody at the lab gave an address
    assert send_pending(app.state.db, None, utcnow()).pending == 0


def test_users_set_their_own_email_and_the_regulator_anyones(app, client, auth_headers, seeded):
    from tests.conftest import csrf

    with app.state.db.session() as s:
        ids = dict(s.execute(select(User.username, User.id)).all())
    market = auth_headers("market")
    r = client.put(f"/api/users/{ids['market']}/email", json={"email": "m@city.test"}, headers=market)
    assert r.status_code == 200 and r.json()["email"] == "m@city.test"
    r = client.put(f"/api/users/{ids['lab']}/email", json={"email": "x@city.test"}, headers=market)
    assert r.status_code == 403
    r = client.put(f"/api/users/{ids['market']}/email", json={"email": "not-an-address"}, headers=market)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"
    reg = auth_headers("regulator")
    r = client.put(f"/api/users/{ids['lab']}/email", json={"email": "lab@city.test"}, headers=reg)
    assert r.status_code == 200
    # the console's profile section
    token = csrf(client)
    login = client.post(
        "/login", data={"username": "lab", "password": "jiliang-demo", "next": "/", "csrf_token": token}
    )
    assert login.status_code == 200
    page = client.get("/organization", headers={"Accept": "text/html"})
    assert "通知邮箱" in page.text and 'value="lab@city.test"' in page.text
    bad = client.post(
        "/organization/email", data={"email": "a@b", "csrf_token": csrf(client, "/organization")}
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    ok = client.post(
        "/organization/email", data={"email": "lab2@city.test", "csrf_token": csrf(client, "/organization")}
    )
    assert ok.status_code == 200 and "邮箱已保存" in ok.text
    with app.state.db.session() as s:
        assert s.scalar(select(User.email).where(User.username == "lab")) == "lab2@city.test"
