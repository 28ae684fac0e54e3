"""The SM2/SM3 signer plugs in through the Signer / SignatureVerifier interfaces alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import jiliang.dcc as dcc
from tests.dcc.conftest import NOW

pytest.importorskip("gmssl")

LATER = datetime(2046, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def sm2_pki():  # type: ignore[no-untyped-def]
    from jiliang.dcc.sm2 import create_sm2_test_pki

    return create_sm2_test_pki(now=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def sm2_signed(sm2_pki, pki, unsigned_xml) -> bytes:  # type: ignore[no-untyped-def]
    from cryptography import x509

    from jiliang.dcc.sm2 import Sm2Signer

    tsa = pki.tsa()
    return dcc.sign(
        unsigned_xml,
        Sm2Signer(sm2_pki.signer_key_hex, sm2_pki.signer_der),
        signing_time=NOW,
        timestamp=lambda d: tsa.stamp(d, at=NOW),  # the TSA stays ECDSA
        certificates=(x509.load_der_x509_certificate(sm2_pki.root_der), pki.sub, pki.tsa_cert),
    )


def test_sm2_signed_certificate_verifies_at_the_timestamp(sm2_signed, sm2_pki, pki):
    from jiliang.dcc.sm2 import SM2_SM3

    assert SM2_SM3.encode() in sm2_signed and dcc.validate(sm2_signed).valid
    # Signed B-T (no revocation values: an SM2 CRL cannot be checked here), so named as the policy.
    report = dcc.verify(sm2_signed, sm2_pki.trust_pem + pki.trust_pem, now=LATER, policy="B-T")
    assert report.valid, report.failures
    assert not dcc.verify(sm2_signed, sm2_pki.trust_pem + pki.trust_pem, now=LATER).valid
    assert report.time_source == "timestamp" and report.certificate_number == "BJ-2026-000001"
    assert "Jiliang SM2 Root CA" in next(c for c in report.checks if c.name == "chain").detail


def test_sm2_tampering_and_wrong_trust_fail(sm2_signed, sm2_pki, pki):
    bad = sm2_signed.replace(b"100.072", b"100.071")
    report = dcc.verify(bad, sm2_pki.trust_pem + pki.trust_pem, now=NOW)
    assert not report.valid and "content changed" in report.failures[0].detail
    report = dcc.verify(sm2_signed, pki.trust_pem, now=NOW)
    assert (
        not report.valid
        and "not in the trust bundle" in next(c for c in report.checks if c.name == "chain").detail
    )


def test_sm2_key_must_match_certificate(sm2_pki, unsigned_xml):
    from jiliang.dcc.sm2 import Sm2Signer

    with pytest.raises(dcc.SigningError, match="does not belong"):
        dcc.sign(unsigned_xml, Sm2Signer(sm2_pki.root_key_hex, sm2_pki.signer_der), signing_time=NOW)
