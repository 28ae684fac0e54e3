"""Forged certificates never verify: trust anchors, demo mode, downgrade, comments, revocation, per-lab keys."""

from __future__ import annotations

import base64
import hashlib
import random
import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import jiliang.dcc as dcc
from jiliang.dcc.trust import (
    LabIdentity,
    demo_keys,
    issuing_keys,
    revoke_lab_certificate,
    trust_context,
)
from jiliang.dcc.verify import RevocationSources, verify, verify_with
from jiliang.platform.settings import Settings
from tests.dcc.conftest import NOW, make_record, sign_blt

LAB = LabIdentity(7, "精测校准技术有限公司", "Jingce Calibration Ltd", "91000000MA0000007X")
XADES = "{http://uri.etsi.org/01903/v1.3.2#}"


def _old_demo_pki():  # type: ignore[no-untyped-def]
    """The demo PKI as it used to be: private scalars sha256("jiliang-demo-pki:<label>")."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from jiliang.dcc.pki import TestPki, _cert, _crl

    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

    def key(label: str):  # type: ignore[no-untyped-def]
        value = (
            int.from_bytes(hashlib.sha256(f"jiliang-demo-pki:{label}".encode()).digest(), "big") % (n - 1) + 1
        )
        return ec.derive_private_key(value, ec.SECP256R1())

    start = datetime(2020, 1, 1, tzinfo=UTC)
    rk, sk, gk, tk = (key(x) for x in ("root", "sub", "signer", "tsa"))
    root = _cert("Jiliang Demo Root CA", rk, None, rk, ca=True, not_before=start, days=40 * 365)
    sub = _cert("Jiliang Demo Issuing CA", sk, root, rk, ca=True, not_before=start, days=40 * 365)
    signer = _cert("滨江市计量检测研究院 (demo seal)", gk, sub, sk, ca=False, not_before=start, days=40 * 365)
    tsa = _cert(
        "Jiliang Demo TSA",
        tk,
        sub,
        sk,
        ca=False,
        not_before=start,
        days=40 * 365,
        eku=ExtendedKeyUsageOID.TIME_STAMPING,
    )
    return TestPki(
        root, rk, sub, sk, signer, gk, tsa, tk, _crl(sub, sk, [], start), _crl(root, rk, [], start)
    )


def _post_verify(client, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/certificates/verify", content=data, headers={"content-type": "application/xml"})


def test_forgery_with_the_old_derived_keys_is_not_valid(client, seeded):
    old = _old_demo_pki()
    new_number = sign_blt(dcc.to_xml(dcc.build_certificate(make_record("BJJL-2026-99999"))), old)
    altered = make_record(
        "BJJL-2026-00001", points=(dcc.CalibrationPoint(Decimal(0), Decimal("0.001"), Decimal("0.001")),)
    )
    existing = sign_blt(dcc.to_xml(dcc.build_certificate(altered)), old)
    for forged in (new_number, existing):
        body = _post_verify(client, forged).json()
        assert body["valid"] is False, body
        chain = next(c for c in body["checks"] if c["name"] == "chain")
        assert chain["status"] == "failed" and "not in the trust bundle" in chain["detail"]
        assert body["policy"]["name"] == "B-LT" and body["policy"]["demo_mode"] is False
        assert all("Demo" not in a["subject"] for a in body["policy"]["trust_anchors"])


def test_demo_root_is_trusted_only_in_demo_mode(tmp_path):
    keys = demo_keys(tmp_path, now=NOW)
    assert (tmp_path / "dcc-demo-ca" / "root.key").stat().st_mode & 0o777 == 0o600
    signed = sign_blt(
        dcc.to_xml(dcc.build_certificate(make_record())), keys.pki, signer=keys.signer_for(LAB, NOW)
    )
    off = verify_with(signed, trust_context(Settings(data_dir=tmp_path)), now=NOW)
    assert not off.valid and off.checks[0].name == "trust"
    assert off.policy["demo_mode"] is False and off.policy["trust_anchors"] == []
    with pytest.raises(Exception, match="no certificate authority"):
        issuing_keys(Settings(data_dir=tmp_path))
    on = verify_with(signed, trust_context(Settings(data_dir=tmp_path, demo_mode=True)), now=NOW)
    assert on.valid, on.failures
    assert (
        on.policy["demo_mode"] is True and "Jiliang Demo Root CA" in on.policy["trust_anchors"][0]["subject"]
    )
    # A second seed reuses the stored CA; a new data folder gets new random keys.
    assert demo_keys(tmp_path, now=NOW).pki.root == keys.pki.root
    assert demo_keys(tmp_path / "other", now=NOW).pki.root != keys.pki.root


def _strip(data: bytes, tag: str) -> bytes:
    from lxml import etree

    root = etree.fromstring(data)
    for el in list(root.iter(XADES + tag)):
        el.getparent().remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize(
    ("tag", "weaker"),
    [("SignatureTimeStamp", "B-B"), ("CertificateValues", "B-T"), ("RevocationValues", "B-T")],
)
def test_downgraded_signature_is_not_valid_under_the_default_policy(signed_xml, pki, tag, weaker):
    assert verify(signed_xml, pki.trust_pem, now=NOW).valid
    stripped = _strip(signed_xml, tag)
    report = verify(stripped, pki.trust_pem, now=NOW)
    assert not report.valid and any("policy B-LT" in c.detail for c in report.failures), report.failures
    assert report.policy["name"] == "B-LT"
    named = verify(stripped, pki.trust_pem, now=NOW, policy=weaker)
    assert named.valid, named.failures
    assert named.policy["name"] == weaker


def test_a_comment_cannot_shorten_a_signed_value(pki):
    rec = make_record(
        conditions=(
            dcc.ConditionInput("环境温度", "Ambient temperature", Decimal("99.9999"), "\\degreecelsius"),
        )
    )
    signed = sign_blt(dcc.to_xml(dcc.build_certificate(rec)), pki)
    assert signed.count(b"<si:value>99.9999</si:value>") == 1
    split = signed.replace(b"<si:value>99.9999</si:value>", b"<si:value>99.99<!---->99</si:value>")
    report = verify(split, pki.trust_pem, now=NOW)
    assert next(c for c in report.checks if c.name == "signature").status == "ok"
    cert = dcc.from_xml(split)
    value = cert.measurement_results[0].influence_conditions[0].quantities[0].value.value
    assert value == Decimal("99.9999")
    html = dcc.render_html(cert, lang="en", base_url="https://dcc.example")
    assert "99.9999" in html and not re.search(r"99\.99(?!99)", html)
    # A processing instruction is signed content (C14N keeps it): the signature breaks, and the
    # reader still never shortens the value.
    with_pi = signed.replace(b"<si:value>99.9999</si:value>", b"<si:value>99.99<?x y?>99</si:value>")
    assert not verify(with_pi, pki.trust_pem, now=NOW).valid
    pi_cert = dcc.from_xml(with_pi)
    assert pi_cert.measurement_results[0].influence_conditions[0].quantities[0].value.value == Decimal(
        "99.9999"
    )


def test_signer_revoked_in_the_current_crl_is_not_valid(tmp_path):
    pki = dcc.create_test_pki(now=NOW - timedelta(days=30))
    folder = tmp_path / "dcc-ca"
    pki.save(folder)
    settings = Settings(data_dir=tmp_path)
    keys = issuing_keys(settings)
    signed = sign_blt(
        dcc.to_xml(dcc.build_certificate(make_record())), keys.pki, signer=keys.signer_for(LAB, NOW)
    )
    assert verify_with(signed, trust_context(settings), now=NOW).valid
    # Revoked after signing: the signature made before stays valid, with a warning.
    revoke_lab_certificate(folder, LAB.org_id, when=NOW + timedelta(hours=1))
    later = verify_with(signed, trust_context(settings), now=NOW + timedelta(days=1))
    assert later.valid and any("after signing" in c.detail for c in later.checks)
    # Revoked (key compromise dated) before the signing time: invalid, whatever the embedded CRL says.
    pki2 = dcc.create_test_pki(now=NOW - timedelta(days=30))
    pki2.save(folder)
    keys = issuing_keys(settings)
    signed = sign_blt(
        dcc.to_xml(dcc.build_certificate(make_record())), keys.pki, signer=keys.signer_for(LAB, NOW)
    )
    revoked = revoke_lab_certificate(folder, LAB.org_id, when=NOW - timedelta(hours=1))
    report = verify_with(signed, trust_context(settings), now=NOW + timedelta(days=1))
    assert not report.valid
    assert any("revoked" in c.detail and "current CRL" in c.detail for c in report.failures)
    # The next signature gets a fresh certificate.
    assert issuing_keys(settings).signer_for(LAB, NOW).cert.serial_number != revoked.serial_number


def test_revocation_from_the_distribution_point_over_http(pki):
    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served["crl"]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sub.crl"
        key, cert = pki.issue_signer("Remote Lab", not_before=NOW - timedelta(days=2), crl_url=url)
        tsa = pki.tsa()
        signed = dcc.sign(
            dcc.to_xml(dcc.build_certificate(make_record())),
            dcc.EcdsaSigner(key, cert, (pki.sub,)),
            signing_time=NOW,
            timestamp=lambda d: tsa.stamp(d, at=NOW),
            certificates=(pki.sub, pki.root, pki.tsa_cert),
        )
        from cryptography.hazmat.primitives.serialization import Encoding

        served["crl"] = pki.sub_crl.public_bytes(Encoding.DER)
        ok = verify(signed, pki.trust_pem, now=NOW, policy="B-T", revocation=RevocationSources(fetch=True))
        assert ok.valid and any("distribution point" in c.detail for c in ok.checks), ok.checks
        served["crl"] = pki.revoke(cert, NOW - timedelta(days=1)).sub_crl.public_bytes(Encoding.DER)
        bad = verify(signed, pki.trust_pem, now=NOW, policy="B-T", revocation=RevocationSources(fetch=True))
        assert not bad.valid and "distribution point" in bad.failures[0].detail
    finally:
        server.shutdown()
        server.server_close()


def test_each_lab_signs_with_its_own_key(client, auth_headers, app):
    from tests.dcc.test_api import _record_json

    numbers = {}
    for user in ("institute", "lab"):
        r = client.post(
            "/api/certificates", json={"record": _record_json(f"OWN-{user}")}, headers=auth_headers(user)
        )
        assert r.status_code == 201, r.text
        numbers[user] = r.json()
    from sqlalchemy import select

    from jiliang.platform.models import Organization, User

    with app.state.db.session() as s:
        names = {
            u: s.scalar(
                select(Organization.name).join(User, User.org_id == Organization.id).where(User.username == u)
            )
            for u in numbers
        }
    for user, cert in numbers.items():
        assert f"CN={names[user]}" in cert["signer_subject"], cert["signer_subject"]
        xml = client.get(f"/api/certificates/{cert['number']}/xml", headers=auth_headers(user)).content
        body = _post_verify(client, xml).json()
        assert body["valid"], body["checks"]
        assert names[user] in body["signer"]
    assert numbers["institute"]["signer_subject"] != numbers["lab"]["signer_subject"]
    keys = issuing_keys(app.state.settings)
    assert (keys.folder / "labs").is_dir()
    for path in (keys.folder / "labs").glob("org-*/key.pem"):
        assert path.stat().st_mode & 0o777 == 0o600


def test_certificates_may_only_name_the_labs_own_customers_and_records(client, auth_headers, app):
    from sqlalchemy import select

    from jiliang.platform.models import Organization, User
    from jiliang.registry.models import Instrument, Verification
    from tests.dcc.test_api import _record_json

    with app.state.db.session() as s:
        lab = s.scalar(select(User.org_id).where(User.username == "lab"))
        own = s.scalars(select(Verification).where(Verification.lab_id == lab)).first()
        others = s.scalars(select(Verification).where(Verification.lab_id != lab)).first()
        own_customer = s.get(Instrument, own.instrument_id).owner_id
        known = set(
            s.scalars(
                select(Instrument.owner_id)
                .join(Verification, Verification.instrument_id == Instrument.id)
                .where(Verification.lab_id == lab)
            )
        )
        stranger = s.scalars(select(Organization).where(Organization.id.not_in(known | {lab}))).first()
        stranger_id, stranger_name, other_record = stranger.id, stranger.name, others.id
        own_record, own_instrument = own.id, own.instrument_id
    h = auth_headers("lab")

    def post(number: str, **extra):  # type: ignore[no-untyped-def]
        body = {"record": _record_json(number), **extra}
        return client.post("/api/certificates", json=body, headers=h)

    for r in (
        post("X-1", customer_org_id=stranger_id),
        post("X-2", calibration_record_ref=other_record),
        post("X-3", instrument_ref=own_instrument, customer_org_id=stranger_id),
    ):
        assert r.status_code == 403 and set(r.json()) >= {"status", "code", "message"}, r.text
    named = _record_json("X-4")
    named["customer"]["name_zh"] = stranger_name
    assert client.post("/api/certificates", json={"record": named}, headers=h).status_code == 403
    r = post("X-5", calibration_record_ref=own_record, customer_org_id=stranger_id)
    assert r.status_code == 403
    r = post("X-6", calibration_record_ref=own_record)
    assert r.status_code == 201, r.text
    assert r.json()["customer_org_id"] == own_customer and r.json()["instrument_ref"] == own_instrument
    everything = client.get("/api/certificates?limit=200", headers=auth_headers("regulator")).json()["items"]
    assert [c["number"] for c in everything if c["number"].startswith("X-")] == ["X-6"]


def _mutations(signed: bytes, rng: random.Random, count: int):  # type: ignore[no-untyped-def]
    blocks = [
        m.span(2)
        for m in re.finditer(
            rb"<(ds:X509Certificate|xades:EncapsulatedTimeStamp|xades:EncapsulatedCRLValue|xades:EncapsulatedX509Certificate)>([^<]*)<",
            signed,
        )
    ]
    assert len(blocks) >= 5
    for i in range(count):
        start, end = blocks[i % len(blocks)]
        raw = base64.b64decode(signed[start:end])
        kind = i % 5
        if kind == 0:
            new = base64.b64encode(rng.randbytes(rng.randint(0, 400)))
        elif kind == 1:
            new = base64.b64encode(raw[: rng.randint(0, len(raw) - 1)])
        elif kind == 2:
            b = bytearray(raw)
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            new = base64.b64encode(bytes(b))
        elif kind == 3:
            new = rng.choice([b"!!!not base64!!!", b"", b"A", b"====", b"AAAA" * 3, b"\xe4\xb8\xad"])
        else:
            new = base64.b64encode(b"\x30\x82\xff\xff" + rng.randbytes(20))
        yield signed[:start] + new + signed[end:]


def test_malformed_embedded_values_never_give_a_500(client, auth_headers):
    from tests.dcc.test_api import _record_json

    r = client.post(
        "/api/certificates", json={"record": _record_json("FUZZ-1")}, headers=auth_headers("institute")
    )
    assert r.status_code == 201, r.text
    signed = client.get("/api/certificates/FUZZ-1/xml", headers=auth_headers("institute")).content
    original = _post_verify(client, signed).json()
    assert original["valid"]
    rng = random.Random(20260305)
    invalid = 0
    for mutated in _mutations(signed, rng, 300):
        r = _post_verify(client, mutated)
        assert r.status_code == 200 or 400 <= r.status_code < 500, (r.status_code, r.text[:300])
        body = r.json()
        if r.status_code == 200:
            assert body["policy"]["name"] == "B-LT"
            invalid += not body["valid"]
            if body["valid"]:  # only a damaged spare copy (e.g. of the root) can leave it valid
                assert (body["signer"], body["certificate_number"]) == (original["signer"], "FUZZ-1")
        else:
            assert set(body) >= {"status", "code", "message", "errors"}
    assert invalid > 250


def test_demo_mode_shows_a_banner_on_every_page(settings, client):
    from fastapi.testclient import TestClient

    from jiliang.app import create_app

    assert "演示模式" not in client.get("/verify").text
    demo = create_app(settings.model_copy(update={"demo_mode": True}))
    try:
        with TestClient(demo) as c:
            for path in ("/verify", "/login", "/"):
                assert "演示模式" in c.get(path).text, path
            assert "Demo mode" in c.get("/verify?lang=en").text
    finally:
        demo.state.db.dispose()
