"""Enveloped XAdES signatures on certificates: B-B by the signer, B-T and B-LT added here.

* **B-B** (XAdES-BES): a :class:`Signer` puts an enveloped ``ds:Signature`` as the last child of
  ``dcc:digitalCalibrationCertificate`` with ``xades:SignedProperties`` (SigningTime,
  SigningCertificateV2, DataObjectFormat). The default :class:`EcdsaSigner` uses signxml's
  XMLDSig/XAdES code with ECDSA P-256 / SHA-256 and C14N 1.1.
* **B-T**: an RFC 3161 token over the exclusive-C14N of ``ds:SignatureValue`` in
  ``xades:UnsignedSignatureProperties/xades:SignatureTimeStamp`` (ETSI EN 319 132-1 §5.3).
* **B-LT**: the certificates of the chain (``xades:CertificateValues``) and the CRLs
  (``xades:RevocationValues/xades:CRLValues``) so the signature can be validated after the
  signer's certificate expired, without fetching anything.

Unsigned properties do not change what was signed (the document reference uses the
enveloped-signature transform, the other references point at SignedProperties and KeyInfo).

The signer is pluggable: anything implementing :class:`Signer` works, e.g. an SM2/SM3 signer
for Chinese CAs (see the user guide, "Adding an SM2 signer"). Validation takes the matching
:class:`SignatureVerifier` from :data:`VERIFIERS` by the ``SignatureMethod`` URI.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from jiliang.dcc.errors import DccError, SigningError
from jiliang.dcc.writer import DCC_NS, DS_NS
from jiliang.dcc.xmlsafe import parse_xml

__all__ = [
    "ECDSA_SHA256",
    "PLUGIN_MODULES",
    "RSA_PSS_SHA256",
    "RSA_SHA256",
    "VERIFIERS",
    "XADES_NS",
    "EcdsaSigner",
    "EcdsaVerifier",
    "RsaSigner",
    "SignatureVerifier",
    "Signer",
    "TimestampSource",
    "add_long_term_data",
    "sign",
    "signature_value_digest",
    "verifier_for",
]

XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

TimestampSource = Callable[[bytes], bytes]
"""Gets an RFC 3161 token (DER) for a SHA-256 digest: in-process TSA or HTTP client."""


@runtime_checkable
class Signer(Protocol):
    """Makes the XAdES-BES signature. Implement this to add an algorithm (e.g. SM2 with SM3).

    ``signature_method`` is the XMLDSig ``SignatureMethod`` URI it writes; ``certificate_der`` the
    signer's certificate. :meth:`sign_enveloped` returns the document (root element) with one
    more ``ds:Signature`` as the last child of the root, carrying a ``ds:Id``-referenced
    ``xades:SignedProperties`` with ``SigningTime`` = ``signing_time``.
    """

    signature_method: str

    @property
    def certificate_der(self) -> bytes: ...

    def sign_enveloped(self, root: Any, signing_time: datetime) -> Any: ...


@runtime_checkable
class SignatureVerifier(Protocol):
    """Checks a signature of one ``SignatureMethod``; registered in :data:`VERIFIERS`.

    :meth:`verify` checks the cryptographic signature and every reference digest and returns
    ``(signed_document_root, signed_properties, signer_certificate_der)`` where the document root
    is rebuilt from the bytes that were actually signed. :meth:`issued_by` checks one link of a
    certificate chain (``cryptography`` certificate objects; so a verifier for a new algorithm
    also brings its certificate-signature check).
    """

    def verify(self, data: bytes, at: datetime) -> tuple[Any, Any, bytes]: ...

    def issued_by(self, cert: Any, issuer: Any) -> bool: ...


def _signxml_classes() -> tuple[Any, Any]:
    from lxml.etree import SubElement
    from signxml.util import xades_tag
    from signxml.xades import XAdESSigner  # type: ignore[attr-defined]

    class _TimedSigner(XAdESSigner):
        signing_time: datetime

        def add_signing_time(
            self, signed_signature_properties: Any, sig_root: Any, signing_settings: Any
        ) -> None:
            el = SubElement(signed_signature_properties, xades_tag("SigningTime"), nsmap=self.namespaces)  # type: ignore[no-untyped-call]
            el.text = self.signing_time.astimezone(UTC).isoformat(timespec="seconds")

    return _TimedSigner, XAdESSigner


@dataclass
class EcdsaSigner:
    """ECDSA (P-256) with SHA-256 through signxml: the default signer."""

    key: Any
    cert: Any
    chain: Sequence[Any] = ()
    signature_method: str = ECDSA_SHA256

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes, password: bytes | None = None) -> EcdsaSigner:
        """Load a PEM private key and a PEM certificate (further certificates in it = the chain)."""
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        from jiliang.dcc.pki import load_pem_bundle

        try:
            key = load_pem_private_key(key_pem, password)
        except (ValueError, TypeError) as exc:
            raise SigningError(f"cannot read the private key: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise SigningError("the private key must be ECDSA P-256 for this signer")
        certs = load_pem_bundle(cert_pem)
        return cls(key, certs[0], tuple(certs[1:]))

    @property
    def certificate_der(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return bytes(self.cert.public_bytes(Encoding.DER))

    def sign_enveloped(self, root: Any, signing_time: datetime) -> Any:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
        from signxml import DigestAlgorithm, SignatureMethod, methods  # type: ignore[attr-defined]

        if self.key.public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo
        ) != self.cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo):
            raise SigningError("the private key does not belong to the certificate")
        timed, _ = _signxml_classes()
        signer = timed(
            method=methods.enveloped,
            signature_algorithm=SignatureMethod(self.signature_method),
            digest_algorithm=DigestAlgorithm.SHA256,
        )
        signer.signing_time = signing_time
        # Only the signer's certificate goes into KeyInfo and SigningCertificateV2 (signxml checks
        # every listed digest against the KeyInfo certificate); the chain goes into the B-LT values.
        return signer.sign(root, key=self.key, cert=[self.cert.public_bytes(Encoding.PEM).decode()])


@dataclass
class RsaSigner(EcdsaSigner):
    """RSA (2048 bits or more) with SHA-256, PKCS#1 v1.5 (``rsa-sha256``) or, with ``pss=True``,
    RSASSA-PSS (``sha256-rsa-MGF1``, RFC 6931) — for laboratories whose CA issues RSA keys."""

    pss: bool = False

    def __post_init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        if not isinstance(self.key, rsa.RSAPrivateKey) or self.key.key_size < 2048:
            raise SigningError("the private key must be RSA with at least 2048 bits for this signer")
        self.signature_method = RSA_PSS_SHA256 if self.pss else RSA_SHA256


class EcdsaVerifier:
    """Verifies ECDSA/RSA XAdES signatures with signxml; cert links with ``cryptography``."""

    def verify(self, data: bytes, at: datetime) -> tuple[Any, Any, bytes]:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding
        from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
        from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier  # type: ignore[attr-defined]

        from jiliang.dcc.xmlsafe import safe_parser

        tree = parse_xml(data)
        sig = tree.getroot().find(f"{{{DS_NS}}}Signature")
        if sig is None:
            raise DccError("no ds:Signature as a child of the certificate root")
        cert_el = sig.find(f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate")
        if cert_el is None or not (cert_el.text or "").strip():
            raise DccError("the signature carries no X509Certificate")
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode("".join(cert_el.text.split())))
        except ValueError as exc:
            raise DccError(f"the signer certificate cannot be read: {exc}") from None
        import dataclasses

        # The signature is checked with the certificate's key (the one the chain validates); a
        # ds:KeyValue beside it is redundant and not compared (signxml cannot compare RSA-PSS keys,
        # and its EC comparison is not reliable), so it is ignored.
        options: dict[str, Any] = {"expect_references": True, "ignore_ambiguous_key_info": True}
        if "verification_time" in {f.name for f in dataclasses.fields(XAdESSignatureConfiguration)}:
            options["verification_time"] = at  # signxml >= 5 checks the validity period itself
        config = XAdESSignatureConfiguration(**options)
        try:
            results = XAdESVerifier().verify(data, x509_cert=cert, expect_config=config, parser=safe_parser())
        except InvalidDigest as exc:
            raise DccError(f"signature: content changed after signing ({exc})") from None
        except InvalidCertificate as exc:
            raise DccError(f"signer certificate: {exc}") from None
        except (InvalidSignature, InvalidInput) as exc:
            raise DccError(f"signature: {exc}") from None
        if not isinstance(results, list) or len(results) < 2:
            raise DccError("not a XAdES signature: fewer than two references")
        doc_results = [
            r
            for r in results
            if r.signed_xml is not None and r.signed_xml.tag == f"{{{DCC_NS}}}digitalCalibrationCertificate"
        ]
        props = [r for r in results if getattr(r, "signed_properties", None) is not None]
        if len(doc_results) != 1:
            raise DccError(
                f"the signature must cover the whole certificate exactly once (found {len(doc_results)})"
            )
        if not props:
            raise DccError("the signature does not cover xades:SignedProperties")
        return doc_results[0].signed_xml, props[0].signed_properties, bytes(cert.public_bytes(Encoding.DER))

    def issued_by(self, cert: Any, issuer: Any) -> bool:
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, Exception):  # InvalidSignature, unsupported algorithm
            return False
        return True


VERIFIERS: dict[str, SignatureVerifier] = {
    ECDSA_SHA256: EcdsaVerifier(),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": EcdsaVerifier(),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": EcdsaVerifier(),
    RSA_SHA256: EcdsaVerifier(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": EcdsaVerifier(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": EcdsaVerifier(),
    RSA_PSS_SHA256: EcdsaVerifier(),
    "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1": EcdsaVerifier(),
    "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1": EcdsaVerifier(),
}
"""SignatureMethod URI → verifier. Register e.g. an SM2/SM3 verifier under its URI."""

PLUGIN_MODULES: tuple[str, ...] = ("jiliang.dcc.sm2",)
"""Modules that register further verifiers when imported; tried when a method is unknown."""


def verifier_for(method: str) -> SignatureVerifier | None:
    """The verifier for a SignatureMethod URI, importing :data:`PLUGIN_MODULES` on a miss."""
    import importlib

    if method not in VERIFIERS:
        for name in PLUGIN_MODULES:
            try:
                importlib.import_module(name)
            except ImportError:  # its library (e.g. gmssl) is not installed
                continue
    return VERIFIERS.get(method)


def _x(tag: str) -> str:
    return "{" + XADES_NS + "}" + tag


def signature_value_digest(signature: Any, algorithm: str = "sha256") -> bytes:
    """The digest (SHA-256 by default; SHA-384/512 as a TSA may use) of the exclusive-C14N of
    ``ds:SignatureValue``: what the signature timestamp covers."""
    from lxml import etree

    value = signature.find(f"{{{DS_NS}}}SignatureValue")
    if value is None:
        raise DccError("ds:SignatureValue is missing")
    if algorithm not in ("sha256", "sha384", "sha512"):
        raise DccError(f"timestamp message imprint algorithm {algorithm} is not supported")
    return hashlib.new(algorithm, etree.tostring(value, method="c14n", exclusive=True)).digest()


def add_long_term_data(
    signature: Any,
    *,
    timestamp: TimestampSource | None,
    certificates: Sequence[Any] = (),
    crls: Sequence[Any] = (),
) -> None:
    """Add ``xades:UnsignedProperties`` (timestamp, certificate and revocation values) in place."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from lxml import etree

    qp = signature.find(f"{{{DS_NS}}}Object/{_x('QualifyingProperties')}")
    if qp is None:
        raise SigningError("the signature has no xades:QualifyingProperties")
    up = qp.find(_x("UnsignedProperties"))
    if up is None:
        up = etree.SubElement(qp, _x("UnsignedProperties"))
    usp = up.find(_x("UnsignedSignatureProperties"))
    if usp is None:
        usp = etree.SubElement(up, _x("UnsignedSignatureProperties"))
    if timestamp is not None:
        token = timestamp(signature_value_digest(signature))
        ts = etree.SubElement(usp, _x("SignatureTimeStamp"), Id=f"{signature.get('Id', 'sig')}-TS")
        etree.SubElement(ts, f"{{{DS_NS}}}CanonicalizationMethod", Algorithm=EXC_C14N)
        etree.SubElement(ts, _x("EncapsulatedTimeStamp")).text = base64.b64encode(token).decode()
    if certificates:
        cv = etree.SubElement(usp, _x("CertificateValues"))
        for c in certificates:
            etree.SubElement(cv, _x("EncapsulatedX509Certificate")).text = base64.b64encode(
                c.public_bytes(Encoding.DER)
            ).decode()
    if crls:
        rv = etree.SubElement(usp, _x("RevocationValues"))
        box = etree.SubElement(rv, _x("CRLValues"))
        for crl in crls:
            etree.SubElement(box, _x("EncapsulatedCRLValue")).text = base64.b64encode(
                crl.public_bytes(Encoding.DER)
            ).decode()


def sign(
    xml: bytes,
    signer: Signer,
    *,
    signing_time: datetime,
    timestamp: TimestampSource | None = None,
    certificates: Sequence[Any] = (),
    crls: Sequence[Any] = (),
    validate_first: bool = True,
) -> bytes:
    """Sign a certificate: XAdES B-B, + B-T with ``timestamp``, + B-LT with certificates and CRLs.

    The input is validated first (XSD 3.3.0 + rules) and never re-serialised after signing:
    the returned bytes are what must be stored and delivered.
    """
    from lxml import etree

    tree = parse_xml(xml)
    root = tree.getroot()
    if root.tag != f"{{{DCC_NS}}}digitalCalibrationCertificate":
        raise DccError(f"root element {root.tag!r} is not dcc:digitalCalibrationCertificate")
    if validate_first:
        from jiliang.dcc.validate import validate_tree

        if root.get("schemaVersion") != "3.3.0":
            raise DccError(
                f"only DCC 3.3.0 can carry a signature here; migrate {root.get('schemaVersion')!r} first"
            )
        report = validate_tree(tree)
        if not report.valid:
            first = report.errors[0]
            raise DccError(f"the certificate is not valid, not signing: {first.xpath}: {first.message}")
    signed = signer.sign_enveloped(root, signing_time)
    sigs = signed.findall(f"{{{DS_NS}}}Signature")
    if not sigs:
        raise SigningError("the signer added no ds:Signature")
    if timestamp is not None or certificates or crls:
        add_long_term_data(sigs[-1], timestamp=timestamp, certificates=certificates, crls=crls)
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
