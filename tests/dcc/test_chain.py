"""Certificate paths: key usage, path length and critical extensions, checked at the signing time
by cryptography's X.509 verifier and by the rules of ``jiliang.dcc.chain``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

import jiliang.dcc as dcc
from jiliang.dcc.chain import _library_path, validate_path
from jiliang.dcc.signing import EcdsaVerifier

from .conftest import NOW

START = NOW - timedelta(days=30)
UNKNOWN_OID = "1.3.6.1.4.1.59999.9"


def _usage(**on: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{n: on.get(n, False) for n in names})


def issue(
    cn: str,
    issuer: Any,
    issuer_key: Any,
    *,
    ca: bool = False,
    path_length: int | None = None,
    usage: x509.KeyUsage | None = None,
    unknown_critical: bool = False,
    key: Any = None,
) -> tuple[Any, Any]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    if usage is None:
        usage = _usage(key_cert_sign=True, crl_sign=True) if ca else _usage(digital_signature=True)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if unknown_critical:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier(UNKNOWN_OID), b"\x05\x00"), critical=True
        )
    return key, builder.sign(issuer_key, hashes.SHA256())


def _chain_check(unsigned_xml: bytes, pki: Any, key: Any, cert: Any, intermediates: tuple[Any, ...]) -> Any:
    tsa = pki.tsa()
    signed = dcc.sign(
        unsigned_xml,
        dcc.EcdsaSigner(key, cert),
        signing_time=NOW,
        timestamp=lambda d: tsa.stamp(d, at=NOW),
        certificates=(*intermediates, pki.sub, pki.root, pki.tsa_cert),
        crls=pki.crls,
    )
    report = dcc.verify(signed, pki.trust_pem, now=NOW)
    assert not report.valid
    return next(c for c in report.checks if c.name == "chain")


def _issued_by(cert: Any, issuer: Any) -> bool:
    return EcdsaVerifier().issued_by(cert, issuer)


def test_a_good_path_is_checked_by_the_x509_verifier(pki):
    result = validate_path(pki.signer, [pki.root], [pki.sub], NOW, _issued_by)
    assert result.chain is not None and result.checked_by == "cryptography.x509.verification"
    assert [c.subject for c in result.chain] == [pki.signer.subject, pki.sub.subject, pki.root.subject]


@pytest.mark.parametrize(
    "usage", [_usage(key_encipherment=True), _usage(key_cert_sign=True)], ids=["encipherment", "certsign"]
)
def test_signer_without_signing_key_usage_is_not_valid(unsigned_xml, pki, usage):
    key, cert = issue("Lab with the wrong key usage", pki.sub, pki.sub_key, usage=usage)
    check = _chain_check(unsigned_xml, pki, key, cert, ())
    assert check.status == "failed"
    assert "may not sign: its keyUsage allows neither digitalSignature nor nonRepudiation" in check.detail
    assert _library_path(cert, [pki.root, pki.sub], [], NOW).chain is None


def test_non_repudiation_alone_may_sign(pki):
    _, cert = issue("Lab (nonRepudiation)", pki.sub, pki.sub_key, usage=_usage(content_commitment=True))
    assert validate_path(cert, [pki.root], [pki.sub], NOW, _issued_by).chain is not None


def test_ca_without_key_cert_sign_is_not_valid(unsigned_xml, pki):
    ca_key, ca = issue("CA without keyCertSign", pki.sub, pki.sub_key, ca=True, usage=_usage(crl_sign=True))
    key, cert = issue("Lab under it", ca, ca_key)
    check = _chain_check(unsigned_xml, pki, key, cert, (ca,))
    assert check.status == "failed"
    assert "CA certificate CN=CA without keyCertSign may not issue certificates" in check.detail
    assert _library_path(cert, [pki.root], [ca, pki.sub], NOW).chain is None


def test_path_length_exceeded_is_not_valid(unsigned_xml, pki):
    # root → sub (the test PKI's) → A (pathLen 0) → B (CA) → lab: A allows no CA below it.
    a_key, a = issue("CA A pathLen 0", pki.sub, pki.sub_key, ca=True, path_length=0)
    b_key, b = issue("CA B", a, a_key, ca=True)
    key, cert = issue("Lab under B", b, b_key)
    check = _chain_check(unsigned_xml, pki, key, cert, (b, a))
    assert check.status == "failed"
    assert (
        "path length exceeded: CA certificate CN=CA A pathLen 0 allows 0 intermediate CA(s)" in check.detail
    )
    assert _library_path(cert, [pki.root], [b, a, pki.sub], NOW).chain is None


def test_path_length_respected_is_valid(pki):
    a_key, a = issue("CA A pathLen 1", pki.sub, pki.sub_key, ca=True, path_length=1)
    b_key, b = issue("CA B", a, a_key, ca=True)
    _, cert = issue("Lab under B", b, b_key)
    result = validate_path(cert, [pki.root], [b, a, pki.sub], NOW, _issued_by)
    assert result.chain is not None, result.reason


@pytest.mark.parametrize("where", ["signer", "ca"])
def test_unknown_critical_extension_is_not_valid(unsigned_xml, pki, where):
    ca_key, ca = issue("Intermediate", pki.sub, pki.sub_key, ca=True, unknown_critical=where == "ca")
    key, cert = issue("Lab", ca, ca_key, unknown_critical=where == "signer")
    check = _chain_check(unsigned_xml, pki, key, cert, (ca,))
    assert check.status == "failed"
    assert f"carries an unknown critical extension {UNKNOWN_OID}" in check.detail
    assert _library_path(cert, [pki.root], [ca, pki.sub], NOW).chain is None


def test_the_verifier_reports_what_only_it_checks(pki):
    """A 1024-bit RSA intermediate passes the written rules but not the X.509 verifier."""
    weak = rsa.generate_private_key(65537, 1024)
    ca_key, ca = issue("Weak RSA CA", pki.sub, pki.sub_key, ca=True, key=weak)
    _, cert = issue("Lab", ca, ca_key)
    result = validate_path(cert, [pki.root], [ca, pki.sub], NOW, _issued_by)
    assert result.chain is None
    assert result.reason.startswith("the X.509 path validation failed: ")
    assert "<Certificate" not in result.reason


def test_validity_is_checked_at_the_signing_time_not_now(pki):
    later = NOW + timedelta(days=400)  # the lab certificate has expired by then
    _, cert = issue("Short-lived lab", pki.sub, pki.sub_key)
    assert validate_path(cert, [pki.root], [pki.sub], NOW, _issued_by).chain is not None
    expired = validate_path(cert, [pki.root], [pki.sub], later, _issued_by)
    assert expired.chain is None and "is not valid at" in expired.reason
