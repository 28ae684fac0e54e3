"""An SM2 / SM3 signer and verifier (GB/T 32918, GB/T 32905), plugged in through the interfaces.

This module shows that a Chinese-cryptography signature needs nothing changed elsewhere: it
implements :class:`~jiliang.dcc.signing.Signer` and :class:`~jiliang.dcc.signing.SignatureVerifier`
and registers itself in :data:`~jiliang.dcc.signing.VERIFIERS` under :data:`SM2_SM3`. It builds
the XMLDSig/XAdES-BES structure itself (exclusive C14N, SM3 digests, SM2 signature over SM3 with
the default user id ``1234567812345678`` of GM/T 0009) with the pure-Python ``gmssl`` package.

The XMLDSig URIs used (``…xmldsig-more#sm2-sm3`` and ``…xmldsig-more#sm3``) follow the
``xmldsig-more`` naming pattern; check the identifiers your CA's profile requires. ``SM2`` X.509
certificates for tests come from :func:`create_sm2_test_pki` (asn1crypto + gmssl).
For tests and as a template: pure-Python SM2 is slow (tens of ms per signature).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import gmssl  # noqa: F401 - fail at import when the library is missing (see PLUGIN_MODULES)

from jiliang.dcc.errors import DccError, SigningError
from jiliang.dcc.signing import VERIFIERS, XADES_NS
from jiliang.dcc.writer import DCC_NS, DS_NS

__all__ = [
    "SM2_CURVE_OID",
    "SM2_SM3",
    "SM2_SM3_OID",
    "SM3",
    "Sm2Pki",
    "Sm2Signer",
    "Sm2Verifier",
    "create_sm2_test_pki",
]

SM2_SM3 = "http://www.w3.org/2007/05/xmldsig-more#sm2-sm3"
SM3 = "http://www.w3.org/2007/05/xmldsig-more#sm3"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_SM3_OID = "1.2.156.10197.1.501"
_DS = "{" + DS_NS + "}"
_X = "{" + XADES_NS + "}"


def _sm3(data: bytes) -> bytes:
    from gmssl import func, sm3

    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def _crypt(private_hex: str | None, public_hex: str, *, asn1: bool) -> Any:
    from gmssl import sm2

    return sm2.CryptSM2(private_key=private_hex, public_key=public_hex, asn1=asn1)


def _public_of(private_hex: str) -> str:
    from gmssl import sm2

    c = sm2.CryptSM2(private_key=private_hex, public_key="")
    return str(c._kg(int(private_hex, 16), sm2.default_ecc_table["g"]))


def _c14n(el: Any) -> bytes:
    from lxml import etree

    return bytes(etree.tostring(el, method="c14n", exclusive=True))


def _sign(private_hex: str, data: bytes, *, asn1: bool) -> bytes:
    c = _crypt(private_hex, _public_of(private_hex), asn1=asn1)
    sig = c.sign_with_sm3(data, secrets.token_hex(32))
    return bytes.fromhex(sig)


def _verify(public_hex: str, signature: bytes, data: bytes, *, asn1: bool) -> bool:
    try:
        return bool(_crypt(None, public_hex, asn1=asn1).verify_with_sm3(signature.hex(), data))
    except Exception:  # malformed signature values
        return False


def _cert_public_hex(cert_der: bytes) -> str:
    from asn1crypto import x509 as ax509

    spki = ax509.Certificate.load(cert_der)["tbs_certificate"]["subject_public_key_info"]
    point = spki["public_key"].contents
    if point[:2] == b"\x00\x04":  # BIT STRING unused-bits byte + uncompressed point
        point = point[1:]
    if len(point) != 65 or point[0] != 4:
        raise DccError("the certificate does not hold an uncompressed SM2 public key")
    return str(point[1:].hex())


def _der(cert: Any) -> bytes:
    if isinstance(cert, bytes):
        return cert
    from cryptography.hazmat.primitives.serialization import Encoding

    return bytes(cert.public_bytes(Encoding.DER))


@dataclass
class Sm2Signer:
    """SM2 with SM3: a :class:`~jiliang.dcc.signing.Signer` (private key as 64 hex digits)."""

    private_key_hex: str
    certificate: bytes
    signature_method: str = SM2_SM3

    @property
    def certificate_der(self) -> bytes:
        return self.certificate

    def sign_enveloped(self, root: Any, signing_time: datetime) -> Any:
        from lxml import etree

        if _public_of(self.private_key_hex) != _cert_public_hex(self.certificate):
            raise SigningError("the SM2 private key does not belong to the certificate")
        token = secrets.token_hex(4)
        sid = f"SM2Signature-{token}"
        doc_digest = _sm3(_c14n(root))  # = enveloped transform + exc-c14n (no signature yet)
        nsmap = {"ds": DS_NS, "xades": XADES_NS}
        sig = etree.SubElement(root, _DS + "Signature", nsmap=nsmap, Id=sid)
        si = etree.SubElement(sig, _DS + "SignedInfo")
        etree.SubElement(si, _DS + "CanonicalizationMethod", Algorithm=EXC_C14N)
        etree.SubElement(si, _DS + "SignatureMethod", Algorithm=SM2_SM3)
        ref = etree.SubElement(si, _DS + "Reference", URI="")
        tr = etree.SubElement(ref, _DS + "Transforms")
        etree.SubElement(tr, _DS + "Transform", Algorithm=ENVELOPED)
        etree.SubElement(tr, _DS + "Transform", Algorithm=EXC_C14N)
        etree.SubElement(ref, _DS + "DigestMethod", Algorithm=SM3)
        etree.SubElement(ref, _DS + "DigestValue").text = base64.b64encode(doc_digest).decode()
        sv = etree.SubElement(sig, _DS + "SignatureValue")
        ki = etree.SubElement(sig, _DS + "KeyInfo")
        etree.SubElement(
            etree.SubElement(ki, _DS + "X509Data"), _DS + "X509Certificate"
        ).text = base64.b64encode(self.certificate).decode()
        obj = etree.SubElement(sig, _DS + "Object")
        qp = etree.SubElement(obj, _X + "QualifyingProperties", Target=f"#{sid}")
        sp = etree.SubElement(qp, _X + "SignedProperties", Id=f"{sid}-SignedProperties")
        ssp = etree.SubElement(sp, _X + "SignedSignatureProperties")
        etree.SubElement(ssp, _X + "SigningTime").text = signing_time.astimezone(UTC).isoformat(
            timespec="seconds"
        )
        cert = etree.SubElement(etree.SubElement(ssp, _X + "SigningCertificateV2"), _X + "Cert")
        cd = etree.SubElement(cert, _X + "CertDigest")
        etree.SubElement(cd, _DS + "DigestMethod", Algorithm=SM3)
        etree.SubElement(cd, _DS + "DigestValue").text = base64.b64encode(_sm3(self.certificate)).decode()
        dof = etree.SubElement(
            etree.SubElement(sp, _X + "SignedDataObjectProperties"),
            _X + "DataObjectFormat",
            ObjectReference="#ref-doc",
        )
        etree.SubElement(dof, _X + "MimeType").text = "text/xml"
        ref.set("Id", "ref-doc")
        ref2 = etree.SubElement(
            si,
            _DS + "Reference",
            URI=f"#{sid}-SignedProperties",
            Type="http://uri.etsi.org/01903#SignedProperties",
        )
        tr2 = etree.SubElement(ref2, _DS + "Transforms")
        etree.SubElement(tr2, _DS + "Transform", Algorithm=EXC_C14N)
        etree.SubElement(ref2, _DS + "DigestMethod", Algorithm=SM3)
        etree.SubElement(ref2, _DS + "DigestValue").text = base64.b64encode(_sm3(_c14n(sp))).decode()
        sv.text = base64.b64encode(_sign(self.private_key_hex, _c14n(si), asn1=False)).decode()
        return root


class Sm2Verifier:
    """Verifies what :class:`Sm2Signer` writes (exclusive C14N, SM3 digests, SM2 over SignedInfo)."""

    def verify(self, data: bytes, at: datetime) -> tuple[Any, Any, bytes]:
        from lxml import etree

        from jiliang.dcc.xmlsafe import parse_xml, safe_parser

        root = parse_xml(data).getroot()
        sig = root.find(_DS + "Signature")
        if sig is None:
            raise DccError("no ds:Signature as a child of the certificate root")
        si = sig.find(_DS + "SignedInfo")
        cert_el = sig.find(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate")
        sv = sig.find(_DS + "SignatureValue")
        if si is None or cert_el is None or sv is None:
            raise DccError("signature: SignedInfo, SignatureValue or X509Certificate missing")
        cert_der = base64.b64decode("".join((cert_el.text or "").split()))
        if si.find(_DS + "CanonicalizationMethod").get("Algorithm") != EXC_C14N:
            raise DccError("signature: only exclusive C14N is supported for SM2")
        signed_info = _c14n(si)
        if not _verify(_cert_public_hex(cert_der), base64.b64decode(sv.text or ""), signed_info, asn1=False):
            raise DccError("signature: SM2 signature value does not verify")
        trusted_si = etree.fromstring(signed_info, safe_parser())  # only what was signed from here on
        doc = props = None
        for i, ref in enumerate(trusted_si.findall(_DS + "Reference")):
            if ref.find(_DS + "DigestMethod").get("Algorithm") != SM3:
                raise DccError(f"signature: reference {i} does not use SM3")
            uri = ref.get("URI")
            copy = etree.fromstring(etree.tostring(root), safe_parser())
            if uri == "":
                for s in copy.findall(_DS + "Signature"):
                    copy.remove(s)
                target = copy
            elif uri and uri.startswith("#"):
                found = copy.xpath("//*[@Id=$id]", id=uri[1:])
                if len(found) != 1:
                    raise DccError(f"signature: reference {uri} does not name exactly one element")
                target = found[0]
            else:
                raise DccError(f"signature: reference URI {uri!r} is not supported")
            c14n = _c14n(target)
            if base64.b64decode(ref.findtext(_DS + "DigestValue") or "") != _sm3(c14n):
                raise DccError(
                    f"signature: content changed after signing (digest mismatch for reference {i} ({uri}))"
                )
            element = etree.fromstring(c14n, safe_parser())
            if uri == "":
                doc = element
            elif element.tag == _X + "SignedProperties":
                props = element
        if doc is None or doc.tag != f"{{{DCC_NS}}}digitalCalibrationCertificate":
            raise DccError("the signature must cover the whole certificate exactly once (found 0)")
        if props is None:
            raise DccError("the signature does not cover xades:SignedProperties")
        digest = props.findtext(
            f"{_X}SignedSignatureProperties/{_X}SigningCertificateV2/{_X}Cert/{_X}CertDigest/{_DS}DigestValue"
        )
        if digest is None or base64.b64decode(digest) != _sm3(cert_der):
            raise DccError("signature: SigningCertificateV2 does not match the KeyInfo certificate")
        return doc, props.find(_X + "SignedSignatureProperties"), cert_der

    def issued_by(self, cert: Any, issuer: Any) -> bool:
        from asn1crypto import x509 as ax509

        try:
            c = ax509.Certificate.load(_der(cert))
            if c["signature_algorithm"]["algorithm"].dotted != SM2_SM3_OID:
                return False
            tbs = c["tbs_certificate"].dump()
            return _verify(_cert_public_hex(_der(issuer)), c["signature_value"].native, tbs, asn1=True)
        except (ValueError, DccError):
            return False


VERIFIERS[SM2_SM3] = Sm2Verifier()


@dataclass(frozen=True)
class Sm2Pki:
    """An SM2 root CA and an SM2 signer certificate (DER), with the signer's private key."""

    root_der: bytes
    root_key_hex: str
    signer_der: bytes
    signer_key_hex: str

    @property
    def trust_pem(self) -> bytes:
        body = base64.encodebytes(self.root_der).decode().replace("\n", "")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


def _sm2_cert(
    cn: str, public_hex: str, issuer_cn: str, issuer_key_hex: str, *, ca: bool, start: datetime, days: int
) -> bytes:
    from asn1crypto import keys
    from asn1crypto import x509 as ax509

    def name(value: str) -> Any:
        return ax509.Name.build(
            {"country_name": "CN", "organization_name": "Jiliang SM2 Test", "common_name": value}
        )

    spki = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters(name="named", value=SM2_CURVE_OID),
            },
            "public_key": bytes.fromhex("04" + public_hex),
        }
    )
    tbs = ax509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(63),
            "signature": {"algorithm": SM2_SM3_OID},
            "issuer": name(issuer_cn),
            "validity": {
                "not_before": ax509.Time(name="utc_time", value=start),
                "not_after": ax509.Time(name="utc_time", value=start + timedelta(days=days)),
            },
            "subject": name(cn),
            "subject_public_key_info": spki,
            "extensions": [
                {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
                {
                    "extn_id": "key_usage",
                    "critical": True,
                    "extn_value": {"key_cert_sign", "crl_sign"}
                    if ca
                    else {"digital_signature", "non_repudiation"},
                },
            ],
        }
    )
    signature = _sign(issuer_key_hex, tbs.dump(), asn1=True)
    cert = ax509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": SM2_SM3_OID},
            "signature_value": signature,
        }
    )
    return bytes(cert.dump())


def create_sm2_test_pki(*, now: datetime, years: int = 10) -> Sm2Pki:
    """A self-signed SM2 root CA and an SM2 laboratory certificate (tests only)."""
    from gmssl import sm2

    n = int(sm2.default_ecc_table["n"], 16)
    root_key = format(secrets.randbelow(n - 2) + 1, "064x")
    signer_key = format(secrets.randbelow(n - 2) + 1, "064x")
    start = (now - timedelta(days=1)).replace(microsecond=0)
    root = _sm2_cert(
        "Jiliang SM2 Root CA",
        _public_of(root_key),
        "Jiliang SM2 Root CA",
        root_key,
        ca=True,
        start=start,
        days=365 * (years + 5),
    )
    signer = _sm2_cert(
        "Jiliang SM2 Laboratory",
        _public_of(signer_key),
        "Jiliang SM2 Root CA",
        root_key,
        ca=False,
        start=start,
        days=365 * years,
    )
    return Sm2Pki(root, root_key, signer, signer_key)
