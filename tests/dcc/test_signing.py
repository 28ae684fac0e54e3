"""XAdES B-LT signing and verification, the test PKI and TSA, the PTB signed example."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

import jiliang.dcc as dcc
from jiliang.dcc.signing import ECDSA_SHA256, VERIFIERS, Signer
from tests.dcc.conftest import NOW, PTB_AT, PTB_TRUST, SIGNED_PTB, sign_blt

LATER = datetime(2046, 1, 1, tzinfo=UTC)  # long after the test signer's certificate (10 years) expired


def _status(report, name):  # type: ignore[no-untyped-def]
    return next(c for c in report.checks if c.name == name)


def test_ptb_signed_example_verifies_at_its_signing_time():
    report = dcc.verify(SIGNED_PTB.read_bytes(), PTB_TRUST, now=LATER, at=PTB_AT, policy="B-B")
    assert report.valid, report.failures
    assert report.certificate_number == "GP_DCC_temperature_typical_1.2"
    assert report.signer_subject == "CN=Calibration Lab A1,O=Calibration A GmbH,C=DE"
    assert report.claimed_signing_time == datetime(2023, 3, 27, 15, 14, 30, tzinfo=UTC)
    assert _status(report, "chain").status == "ok"


def test_ptb_signed_example_fails_today_because_the_signer_expired():
    report = dcc.verify(SIGNED_PTB.read_bytes(), PTB_TRUST, now=LATER)
    assert not report.valid
    assert "not valid at 2046" in _status(report, "chain").detail


def test_ptb_signed_example_fails_when_a_value_changes():
    raw = SIGNED_PTB.read_bytes()
    i = raw.index(b"<si:valueXMLList>") + len(b"<si:valueXMLList>")
    tampered = raw[:i] + (b"9" if raw[i : i + 1] != b"9" else b"8") + raw[i + 1 :]
    report = dcc.verify(tampered, PTB_TRUST, now=LATER, at=PTB_AT)
    assert not report.valid
    assert "content changed after signing" in _status(report, "signature").detail


def test_ptb_example_against_the_wrong_trust_fails_on_the_chain(pki):
    report = dcc.verify(SIGNED_PTB.read_bytes(), pki.trust_pem, now=LATER, at=PTB_AT)
    assert not report.valid and "no trusted issuer" in _status(report, "chain").detail


def test_signed_blt_verifies_long_after_the_signer_expired(signed_xml, pki):
    """B-LT: the validation time comes from the RFC 3161 token, not from 'now'."""
    assert pki.signer.not_valid_after_utc < LATER
    report = dcc.verify(signed_xml, pki.trust_pem, now=LATER)
    assert report.valid, report.failures
    assert report.time_source == "timestamp" and report.timestamp_time == NOW
    assert [c.status for c in report.checks] == ["ok"] * 6
    assert report.certificate_number == "BJ-2026-000001"


def test_signed_file_still_validates_against_xsd_3_3_0(signed_xml):
    assert dcc.validate(signed_xml).valid


def test_signature_structure(signed_xml):
    text = signed_xml.decode()
    for part in (
        ECDSA_SHA256,
        "xades:SignedProperties",
        "xades:SigningCertificateV2",
        "xades:SignatureTimeStamp",
        "xades:CertificateValues",
        "xades:RevocationValues",
        "xades:EncapsulatedCRLValue",
        'URI=""',
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    ):
        assert part in text, part
    assert text.rstrip().endswith("</ds:Signature></dcc:digitalCalibrationCertificate>")


def test_trust_bundle_with_only_the_root_works(signed_xml, pki):
    from cryptography.hazmat.primitives.serialization import Encoding

    report = dcc.verify(signed_xml, pki.root.public_bytes(Encoding.PEM), now=LATER)
    assert report.valid, report.failures  # the issuing CA comes from CertificateValues


def test_value_changed_after_signing_fails(signed_xml, pki):
    tampered = signed_xml.replace(b"<si:valueXMLList>0.012 100.072", b"<si:valueXMLList>0.012 100.070")
    assert tampered != signed_xml
    report = dcc.verify(tampered, pki.trust_pem, now=LATER)
    assert not report.valid and "content changed" in _status(report, "signature").detail


def test_at_overrides_the_timestamp(signed_xml, pki):
    report = dcc.verify(signed_xml, pki.trust_pem, now=NOW, at=LATER)
    assert not report.valid and report.time_source == "given"
    assert "not valid at 2046" in _status(report, "chain").detail


def test_revoked_signer_fails_with_the_date(unsigned_xml, pki):
    key, cert = pki.issue_signer("Revoked Lab", not_before=datetime(2026, 1, 1, tzinfo=UTC))
    revoked_pki = pki.revoke(cert, NOW - timedelta(days=1))
    signed = sign_blt(unsigned_xml, revoked_pki, signer=dcc.EcdsaSigner(key, cert))
    report = dcc.verify(signed, pki.trust_pem, now=NOW)
    assert not report.valid
    assert "was revoked on 2026-03-04" in _status(report, "revocation").detail


def test_revocation_after_the_timestamp_does_not_invalidate(unsigned_xml, pki):
    key, cert = pki.issue_signer("Later Revoked Lab", not_before=datetime(2026, 1, 1, tzinfo=UTC))
    later = pki.revoke(cert, NOW + timedelta(days=30))
    signed = sign_blt(unsigned_xml, later, signer=dcc.EcdsaSigner(key, cert))
    assert dcc.verify(signed, pki.trust_pem, now=LATER).valid


def test_timestamp_of_another_signature_is_rejected(signed_xml, pki, unsigned_xml):
    from lxml import etree

    other = sign_blt(unsigned_xml, pki, at=NOW + timedelta(hours=1))
    ts = etree.fromstring(other).find(".//{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedTimeStamp").text
    root = etree.fromstring(signed_xml)
    root.find(".//{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedTimeStamp").text = ts
    report = dcc.verify(etree.tostring(root), pki.trust_pem, now=LATER)
    assert not report.valid and "does not cover this signature value" in _status(report, "timestamp").detail


def test_signature_wrapping_is_rejected(signed_xml, pki):
    """The signed root moved under a forged root: content must come only from what was signed."""
    from lxml import etree

    original = etree.fromstring(signed_xml)
    forged = etree.fromstring(signed_xml)
    forged.find(".//{https://ptb.de/dcc}uniqueIdentifier").text = "FORGED-1"
    sig = forged.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    forged.remove(sig)
    # Hide the genuine signed document inside the forged one and keep the signature at the root.
    holder = etree.SubElement(forged, "{https://ptb.de/dcc}comment")
    holder.append(original)
    report = dcc.verify(etree.tostring(forged), pki.trust_pem, now=LATER)
    assert not report.valid
    assert report.certificate_number != "FORGED-1"


def test_signature_wrapping_with_signature_kept_at_root_reports_the_signed_number(signed_xml, pki):
    from lxml import etree

    forged = etree.fromstring(signed_xml)
    forged.find(".//{https://ptb.de/dcc}uniqueIdentifier").text = "FORGED-2"
    report = dcc.verify(etree.tostring(forged), pki.trust_pem, now=LATER)
    assert not report.valid and report.certificate_number is None


def test_unsigned_file_does_not_verify(unsigned_xml, pki):
    report = dcc.verify(unsigned_xml, pki.trust_pem, now=NOW)
    assert not report.valid and "not signed" in report.failures[0].detail


def test_signing_refuses_an_invalid_certificate(unsigned_xml, pki):
    bad = unsigned_xml.replace(
        b"<si:coverageFactor>2</si:coverageFactor>", b"<si:coverageFactor>0.5</si:coverageFactor>", 1
    )
    with pytest.raises(dcc.DccError, match="not valid, not signing"):
        sign_blt(bad, pki)


def test_signer_key_must_match_its_certificate(unsigned_xml, pki):
    with pytest.raises(dcc.SigningError, match="does not belong"):
        sign_blt(unsigned_xml, pki, signer=dcc.EcdsaSigner(pki.tsa_key, pki.signer))


def test_the_signer_is_pluggable(unsigned_xml, pki):
    """A signer only has to implement the Signer protocol (an SM2 signer would plug in the same way)."""

    class CountingSigner:
        signature_method = ECDSA_SHA256

        def __init__(self) -> None:
            self.inner = dcc.EcdsaSigner(pki.signer_key, pki.signer)
            self.calls = 0

        @property
        def certificate_der(self) -> bytes:
            return self.inner.certificate_der

        def sign_enveloped(self, root, signing_time):  # type: ignore[no-untyped-def]
            self.calls += 1
            return self.inner.sign_enveloped(root, signing_time)

    signer = CountingSigner()
    assert isinstance(signer, Signer)
    signed = sign_blt(unsigned_xml, pki, signer=signer)
    assert signer.calls == 1 and dcc.verify(signed, pki.trust_pem, now=NOW).valid


def test_unknown_signature_method_is_named(signed_xml, pki):
    bad = signed_xml.replace(ECDSA_SHA256.encode(), b"urn:example:sm2-sm3", 1)
    report = dcc.verify(bad, pki.trust_pem, now=NOW)
    assert not report.valid and "urn:example:sm2-sm3" in report.failures[0].detail
    assert ECDSA_SHA256 in VERIFIERS


def test_tsa_over_http(pki):
    from jiliang.dcc.pki import parse_timestamp_token, request_timestamp_http, serve_tsa

    server = serve_tsa(pki.tsa())
    try:
        token = request_timestamp_http(f"http://127.0.0.1:{server.server_address[1]}/", b"\x01" * 32)
    finally:
        server.shutdown()
        server.server_close()
    parsed, tsa_cert = parse_timestamp_token(token)
    assert parsed.message_imprint == b"\x01" * 32 and tsa_cert == pki.tsa_cert


def test_tsa_rejects_garbage_requests(pki):
    from jiliang.dcc.pki import token_from_response

    answer = pki.tsa().respond(b"\x30\x03garbage", at=NOW)
    with pytest.raises(dcc.SigningError, match="refused the request: rejection"):
        token_from_response(answer)


def test_malformed_timestamp_token_is_reported(signed_xml, pki):
    from lxml import etree

    root = etree.fromstring(signed_xml)
    root.find(".//{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedTimeStamp").text = base64.b64encode(
        b"\x30\x80junk"
    ).decode()
    report = dcc.verify(etree.tostring(root), pki.trust_pem, now=NOW)
    assert not report.valid and "malformed timestamp" in _status(report, "timestamp").detail


def test_pki_folder_round_trip(tmp_path, pki):
    pki.save(tmp_path)
    again = dcc.load_test_pki(tmp_path)
    assert again.signer == pki.signer and (tmp_path / "trust.pem").read_bytes() == pki.trust_pem
    assert oct((tmp_path / "signer.key").stat().st_mode & 0o777) == "0o600"


def test_signature_over_a_part_only_is_rejected(unsigned_xml, pki):
    """A valid signature whose reference covers only dcc:item (id="item1"): the values outside it
    could be changed freely, so verification must refuse it even though every digest matches."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from lxml import etree
    from signxml import DigestAlgorithm, SignatureMethod, methods
    from signxml.xades import XAdESSigner

    root = etree.fromstring(unsigned_xml)
    root.find(".//{https://ptb.de/dcc}item").set("id", "item1")
    signer = XAdESSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
    )
    signed = signer.sign(
        root,
        key=pki.signer_key,
        cert=[pki.signer.public_bytes(Encoding.PEM).decode()],
        reference_uri="#item1",
    )
    data = etree.tostring(signed).replace(b"100.072", b"109.999")  # outside the signed part
    report = dcc.verify(data, pki.trust_pem, now=NOW)
    assert not report.valid
    assert "must cover the whole certificate" in _status(report, "signature").detail
    assert report.certificate_number is None
