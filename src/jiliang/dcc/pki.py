"""A local test PKI and time-stamping authority (RFC 3161), for tests, the demo and ``ca init``.

Not for production: keys are stored unencrypted. Layout of a CA folder written by
:func:`create_test_pki`::

    root.pem     root CA certificate (self-signed)         root.key
    sub.pem      issuing CA certificate (signed by root)   sub.key
    trust.pem    trust bundle: root.pem + sub.pem (several certificates in one PEM)
    signer.pem   the laboratory's signing certificate      signer.key
    tsa.pem      time-stamping certificate (EKU timeStamping)  tsa.key
    sub.crl      CRL of the issuing CA (DER)                 root.crl  CRL of the root (DER)

Every key of this hierarchy is ECDSA P-256 (signatures ECDSA with SHA-256);
:meth:`TestPki.issue_tsa` adds time-stamping authorities with RSA keys (PKCS#1 v1.5 or PSS).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jiliang.dcc.errors import DccError, SigningError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "TSA_POLICY_OID",
    "TestPki",
    "TimeStampAuthority",
    "TimeStampToken",
    "create_test_pki",
    "load_pem_bundle",
    "load_test_pki",
    "parse_timestamp_token",
    "request_timestamp_http",
    "serve_tsa",
]

TSA_POLICY_OID = "1.3.6.1.4.1.59999.1.1"
"""Policy OID put in test timestamps (an arbitrary private-arc OID: test use only)."""


def load_pem_bundle(data: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle (several ``BEGIN CERTIFICATE`` blocks) or one DER cert."""
    from cryptography import x509

    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise DccError(f"not a certificate or PEM bundle: {exc}") from None
    if not certs:
        raise DccError("the bundle holds no certificate")
    return certs


def _name(cn: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Jiliang Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(
    subject_cn: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    not_before: datetime,
    days: int,
    eku: Any = None,
    crl_url: str | None = None,
    subject: x509.Name | None = None,
) -> x509.Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    subject = subject or _name(subject_cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _crl(
    issuer: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    revoked: list[tuple[int, datetime]],
    now: datetime,
) -> x509.CertificateRevocationList:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    b = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now)
        .next_update(now + timedelta(days=3650))
    )
    for serial, when in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return b.sign(key, hashes.SHA256())


@dataclass(frozen=True)
class TestPki:
    """Keys and certificates of the test PKI (see the module docstring)."""

    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    sub: x509.Certificate
    sub_key: ec.EllipticCurvePrivateKey
    signer: x509.Certificate
    signer_key: ec.EllipticCurvePrivateKey
    tsa_cert: x509.Certificate
    tsa_key: ec.EllipticCurvePrivateKey
    sub_crl: x509.CertificateRevocationList
    root_crl: x509.CertificateRevocationList
    revoked: tuple[tuple[int, datetime], ...] = ()

    @property
    def trust_pem(self) -> bytes:
        """The trust bundle (root + issuing CA) as one PEM."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.root.public_bytes(Encoding.PEM) + self.sub.public_bytes(Encoding.PEM)

    @property
    def crls(self) -> tuple[x509.CertificateRevocationList, ...]:
        return (self.sub_crl, self.root_crl)

    def tsa(self) -> TimeStampAuthority:
        """The time-stamping authority of this PKI (in-process)."""
        return TimeStampAuthority(self.tsa_key, self.tsa_cert, (self.sub,))

    def issue_signer(
        self,
        cn: str,
        *,
        not_before: datetime,
        days: int = 3 * 365,
        subject: x509.Name | None = None,
        crl_url: str | None = None,
        key_type: str = "ec",
    ) -> tuple[Any, Any]:
        """A further signing key and certificate from the issuing CA: ``(key, cert)``.

        ``subject`` replaces the test-PKI name built from ``cn``; ``crl_url`` adds a CRL
        distribution point; ``key_type`` is ``ec`` (P-256) or ``rsa`` (2048 bits).
        """
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        key: Any = (
            rsa.generate_private_key(65537, 2048)
            if key_type == "rsa"
            else ec.generate_private_key(ec.SECP256R1())
        )
        cert = _cert(
            cn,
            key,
            self.sub,
            self.sub_key,
            ca=False,
            not_before=not_before,
            days=days,
            subject=subject,
            crl_url=crl_url,
        )
        return key, cert

    def issue_tsa(
        self, cn: str, *, not_before: datetime, key_type: str = "rsa", rsa_padding: str = "pkcs1v15"
    ) -> TimeStampAuthority:
        """A further time-stamping authority from the issuing CA, with an ``rsa`` (2048-bit) or
        ``ec`` (P-256) key; ``rsa_padding`` ``pkcs1v15`` or ``pss`` — as public TSAs sign."""
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID

        if key_type not in ("rsa", "ec") or rsa_padding not in ("pkcs1v15", "pss"):
            raise SigningError(f"unsupported TSA key {key_type!r} / padding {rsa_padding!r}")
        key: Any = (
            rsa.generate_private_key(65537, 2048)
            if key_type == "rsa"
            else ec.generate_private_key(ec.SECP256R1())
        )
        cert = _cert(
            cn,
            key,
            self.sub,
            self.sub_key,
            ca=False,
            not_before=not_before,
            days=365 * 5,
            eku=ExtendedKeyUsageOID.TIME_STAMPING,
        )
        return TimeStampAuthority(key, cert, (self.sub,), rsa_padding=rsa_padding)

    def revoke(self, cert: x509.Certificate, when: datetime) -> TestPki:
        """A copy whose issuing-CA CRL lists ``cert`` as revoked since ``when``."""
        revoked = (*self.revoked, (cert.serial_number, when))
        return replace(self, revoked=revoked, sub_crl=_crl(self.sub, self.sub_key, list(revoked), when))

    def save(self, folder: Path) -> None:
        """Write the PEM/DER files of the module docstring into ``folder``."""
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        folder.mkdir(parents=True, exist_ok=True)
        for name, cert, key in (
            ("root", self.root, self.root_key),
            ("sub", self.sub, self.sub_key),
            ("signer", self.signer, self.signer_key),
            ("tsa", self.tsa_cert, self.tsa_key),
        ):
            (folder / f"{name}.pem").write_bytes(cert.public_bytes(Encoding.PEM))
            path = folder / f"{name}.key"
            path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
            path.chmod(0o600)
        (folder / "trust.pem").write_bytes(self.trust_pem)
        (folder / "sub.crl").write_bytes(self.sub_crl.public_bytes(Encoding.DER))
        (folder / "root.crl").write_bytes(self.root_crl.public_bytes(Encoding.DER))


def create_test_pki(
    *,
    now: datetime,
    lab_name: str = "Jiliang Test Laboratory",
    years: int = 10,
    ca_name: str = "Jiliang Test",
) -> TestPki:
    """A fresh root CA → issuing CA → {lab signer, TSA} hierarchy, valid from ``now`` − 1 day.

    Every key is generated at random here; ``ca_name`` prefixes the CA and TSA names.
    """
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    start = now - timedelta(days=1)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]
    root = _cert(
        f"{ca_name} Root CA", keys[0], None, keys[0], ca=True, not_before=start, days=365 * (years + 10)
    )
    sub = _cert(
        f"{ca_name} Issuing CA", keys[1], root, keys[0], ca=True, not_before=start, days=365 * (years + 5)
    )
    signer = _cert(lab_name, keys[2], sub, keys[1], ca=False, not_before=start, days=365 * years)
    tsa = _cert(
        f"{ca_name} TSA",
        keys[3],
        sub,
        keys[1],
        ca=False,
        not_before=start,
        days=365 * (years + 2),
        eku=ExtendedKeyUsageOID.TIME_STAMPING,
    )
    return TestPki(
        root=root,
        root_key=keys[0],
        sub=sub,
        sub_key=keys[1],
        signer=signer,
        signer_key=keys[2],
        tsa_cert=tsa,
        tsa_key=keys[3],
        sub_crl=_crl(sub, keys[1], [], start),
        root_crl=_crl(root, keys[0], [], start),
    )


def load_test_pki(folder: Path) -> TestPki:
    """Read a CA folder written by :meth:`TestPki.save`."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    def cert(name: str) -> Any:
        return x509.load_pem_x509_certificate((folder / f"{name}.pem").read_bytes())

    def key(name: str) -> Any:
        return load_pem_private_key((folder / f"{name}.key").read_bytes(), None)

    try:
        sub_crl = x509.load_der_x509_crl((folder / "sub.crl").read_bytes())
        return TestPki(
            revoked=tuple((r.serial_number, r.revocation_date_utc) for r in sub_crl),
            root=cert("root"),
            root_key=key("root"),
            sub=cert("sub"),
            sub_key=key("sub"),
            signer=cert("signer"),
            signer_key=key("signer"),
            tsa_cert=cert("tsa"),
            tsa_key=key("tsa"),
            sub_crl=sub_crl,
            root_crl=x509.load_der_x509_crl((folder / "root.crl").read_bytes()),
        )
    except (OSError, ValueError) as exc:
        raise DccError(f"cannot read the CA folder {folder}: {exc}") from None


# --------------------------------------------------------------------------------------------
# RFC 3161 time-stamping


@dataclass(frozen=True, slots=True)
class TimeStampToken:
    """A parsed RFC 3161 token: when, over which digest, by whom (signature not yet trusted)."""

    gen_time: datetime
    hash_algorithm: str
    message_imprint: bytes
    tsa_certificates: tuple[Any, ...]
    serial_number: int


@dataclass
class TimeStampAuthority:
    """An RFC 3161 TSA signing with an ECDSA or RSA key (in-process; :func:`serve_tsa` puts it on
    HTTP). ``rsa_padding`` is ``pkcs1v15`` or ``pss`` for an RSA key."""

    key: Any
    cert: Any
    chain: tuple[Any, ...] = ()
    rsa_padding: str = "pkcs1v15"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def stamp(
        self, digest: bytes, *, at: datetime, hash_algorithm: str = "sha256", nonce: int | None = None
    ) -> bytes:
        """A DER ``ContentInfo`` (SignedData over TSTInfo) for ``digest`` at time ``at``."""
        from asn1crypto import cms, core, tsp
        from asn1crypto import x509 as ax509
        from cryptography.hazmat.primitives.serialization import Encoding

        cert_der = self.cert.public_bytes(Encoding.DER)
        acert = ax509.Certificate.load(cert_der)
        info: dict[str, Any] = {
            "version": "v1",
            "policy": TSA_POLICY_OID,
            "message_imprint": {"hash_algorithm": {"algorithm": hash_algorithm}, "hashed_message": digest},
            "serial_number": secrets.randbits(63),
            "gen_time": at.astimezone(UTC).replace(microsecond=0),
            "accuracy": {"seconds": 1},
            "ordering": False,
        }
        if nonce is not None:
            info["nonce"] = nonce
        tst_info = tsp.TSTInfo(info)
        tst_der = tst_info.dump()
        signed_attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]}),
                cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [{"certs": [{"cert_hash": hashlib.sha256(cert_der).digest()}]}],
                    }
                ),
            ]
        )
        signature, algorithm = self._sign(signed_attrs.dump())
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                            {"issuer": acert.issuer, "serial_number": acert.serial_number}
                        )
                    }
                ),
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": algorithm,
                "signature": signature,
            }
        )
        certs = [acert] + [ax509.Certificate.load(c.public_bytes(Encoding.DER)) for c in self.chain]
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [{"algorithm": "sha256"}],
                "encap_content_info": {
                    "content_type": "tst_info",
                    "content": core.ParsableOctetString(tst_der),
                },
                "certificates": certs,
                "signer_infos": [signer_info],
            }
        )
        return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())

    def _sign(self, data: bytes) -> tuple[bytes, dict[str, Any]]:
        """Sign the DER of the signed attributes with the TSA key: the signature and its
        ``signatureAlgorithm`` (ECDSA-SHA256, RSA PKCS#1 v1.5 or RSA-PSS with SHA-256)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

        if isinstance(self.key, rsa.RSAPrivateKey):
            if self.rsa_padding == "pss":
                pss = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
                params = {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
                    "salt_length": 32,
                }
                return self.key.sign(data, pss, hashes.SHA256()), {
                    "algorithm": "rsassa_pss",
                    "parameters": params,
                }
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256()), {"algorithm": "sha256_rsa"}
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(hashes.SHA256())), {"algorithm": "sha256_ecdsa"}
        raise SigningError(f"a TSA key of type {type(self.key).__name__} is not supported")

    def respond(self, request_der: bytes, *, at: datetime) -> bytes:
        """Answer a DER ``TimeStampReq`` with a DER ``TimeStampResp`` (RFC 3161 §2.4.2)."""
        from asn1crypto import tsp

        try:
            req = tsp.TimeStampReq.load(request_der)
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            nonce = req["nonce"].native
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_request")
        if algorithm != "sha256" or len(digest) != 32:
            return _rejection("bad_alg")
        with self._lock:
            token = self.stamp(digest, at=at, nonce=nonce)
        return bytes(
            tsp.TimeStampResp(
                {"status": {"status": "granted"}, "time_stamp_token": tsp.ContentInfo.load(token)}
            ).dump()
        )


def _rejection(reason: str) -> bytes:
    """A ``TimeStampResp`` with status rejection and no token (asn1crypto wants a token field)."""
    from asn1crypto import core, tsp

    status = tsp.PKIStatusInfo({"status": "rejection", "fail_info": {reason}}).dump()
    return bytes(core.Sequence.load(b"\x30" + _der_length(len(status)) + status).dump())


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def timestamp_request(digest: bytes, nonce: int) -> bytes:
    """A DER ``TimeStampReq`` for a SHA-256 digest (certReq true)."""
    from asn1crypto import tsp

    return bytes(
        tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
                "nonce": nonce,
                "cert_req": True,
            }
        ).dump()
    )


def token_from_response(resp_der: bytes, *, nonce: int | None = None) -> bytes:
    """The token of a granted ``TimeStampResp``; SigningError otherwise."""
    from asn1crypto import core, tsp

    try:
        outer = core.Sequence.load(resp_der)
        status = tsp.PKIStatusInfo.load(outer[0].dump())["status"].native
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise SigningError(f"the TSA answer is not an RFC 3161 response: {exc}") from None
    if status not in ("granted", "granted_with_mods"):
        raise SigningError(f"the TSA refused the request: {status}")
    try:
        token = tsp.TimeStampResp.load(resp_der)["time_stamp_token"]
        got_nonce = token["content"]["encap_content_info"]["content"].parsed["nonce"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise SigningError(f"the TSA answer is not an RFC 3161 response: {exc}") from None
    if nonce is not None and got_nonce != nonce:
        raise SigningError("the TSA answered with a different nonce")
    return bytes(token.dump())


def request_timestamp_http(url: str, digest: bytes, *, timeout: float = 10.0) -> bytes:
    """Ask an RFC 3161 TSA over HTTP(S) (``application/timestamp-query``) for a token."""
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise SigningError(f"TSA URL {url!r} must start with http:// or https://")
    nonce = secrets.randbits(63)
    req = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=timestamp_request(digest, nonce),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            body = resp.read(1024 * 1024)
    except OSError as exc:
        raise SigningError(f"the TSA at {url} cannot be reached: {exc}") from None
    return token_from_response(body, nonce=nonce)


_HASHES = ("sha256", "sha384", "sha512")
"""Digest algorithms accepted in timestamp tokens (SHA-1 and MD5 are not)."""


def _hash(name: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    if name not in _HASHES:
        raise DccError(f"timestamp hash algorithm {name} is not supported")
    found: dict[str, Any] = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
    return found[name]


def verify_cms_signature(public_key: Any, signer_info: Any, signed: bytes) -> None:
    """Check a CMS ``SignerInfo`` signature over ``signed`` (the DER of the signed attributes).

    ECDSA, RSA PKCS#1 v1.5 and RSA-PSS (RFC 4056 parameters) with SHA-256/384/512, as used by
    time-stamping authorities (RFC 3161 tokens). Raises ``InvalidSignature`` or DccError.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    algo = signer_info["signature_algorithm"]
    name = algo["algorithm"].native
    digest = _hash(signer_info["digest_algorithm"]["algorithm"].native)
    signature = signer_info["signature"].native
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if name not in ("ecdsa", "sha256_ecdsa", "sha384_ecdsa", "sha512_ecdsa"):
            raise DccError(f"timestamp signature algorithm {name} does not match the TSA's ECDSA key")
        if name != "ecdsa":
            digest = _hash(name.split("_")[0])
        public_key.verify(signature, signed, ec.ECDSA(digest))
    elif isinstance(public_key, rsa.RSAPublicKey):
        if name == "rsassa_pss":
            params = algo["parameters"]
            digest = _hash(params["hash_algorithm"]["algorithm"].native)
            mgf_hash = _hash(params["mask_gen_algorithm"]["parameters"]["algorithm"].native)
            pad: Any = padding.PSS(padding.MGF1(mgf_hash), int(params["salt_length"].native))
        elif name in ("rsassa_pkcs1v15", "rsa", "sha256_rsa", "sha384_rsa", "sha512_rsa"):
            if name.endswith("_rsa"):
                digest = _hash(name.split("_")[0])
            pad = padding.PKCS1v15()
        else:
            raise DccError(f"timestamp signature algorithm {name} is not supported for an RSA key")
        public_key.verify(signature, signed, pad, digest)
    else:
        raise DccError(f"timestamp signature algorithm {name} is not supported ({type(public_key).__name__})")


def parse_timestamp_token(token_der: bytes) -> tuple[TimeStampToken, Any]:
    """Parse a token and check its CMS signature with the TSA certificate it carries.

    Returns the token and the TSA's certificate (``cryptography`` object); chain and EKU are
    checked by the caller. Raises DccError when malformed or when the signature does not verify.
    """
    from asn1crypto import cms, tsp  # importing tsp registers the TSTInfo content type with cms
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    try:
        info = cms.ContentInfo.load(token_der)
        sd = info["content"]
        encap = sd["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise DccError("the timestamp token does not hold a TSTInfo")
        tst_der = encap["content"].contents
        tst = tsp.TSTInfo.load(tst_der)
        si = sd["signer_infos"][0]
        sid = si["sid"].chosen
        certs = [c.chosen for c in sd["certificates"]] if len(sd["certificates"].contents or b"") else []
        issuer_der, serial = sid["issuer"].dump(), sid["serial_number"].native
        tsa_acert = next(
            (
                c
                for c in certs
                if c["tbs_certificate"]["issuer"].dump() == issuer_der and c.serial_number == serial
            ),
            None,
        )
        if tsa_acert is None:
            raise DccError("the timestamp token does not carry the TSA certificate")
        tsa_cert = x509.load_der_x509_certificate(tsa_acert.dump())
        attrs = si["signed_attrs"]
        digest_attr = next(a for a in attrs if a["type"].native == "message_digest")["values"][0].native
        digest_name = si["digest_algorithm"]["algorithm"].native
        if digest_name not in _HASHES:
            raise DccError(f"timestamp digest algorithm {digest_name} is not supported")
        if digest_attr != hashlib.new(digest_name, tst_der).digest():
            raise DccError("the timestamp token's message digest does not match its TSTInfo")
        signed = b"\x31" + attrs.dump()[1:]
        verify_cms_signature(tsa_cert.public_key(), si, signed)
        token = TimeStampToken(
            gen_time=tst["gen_time"].native.astimezone(UTC),
            hash_algorithm=tst["message_imprint"]["hash_algorithm"]["algorithm"].native,
            message_imprint=tst["message_imprint"]["hashed_message"].native,
            tsa_certificates=tuple(x509.load_der_x509_certificate(c.dump()) for c in certs),
            serial_number=int(tst["serial_number"].native),
        )
    except InvalidSignature:
        raise DccError("the timestamp token's signature does not verify") from None
    except DccError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, StopIteration, AttributeError) as exc:
        raise DccError(f"malformed timestamp token: {exc}") from None
    return token, tsa_cert


def serve_tsa(tsa: TimeStampAuthority, host: str = "127.0.0.1", port: int = 0) -> Any:
    """Start a tiny HTTP TSA (POST ``application/timestamp-query``) in a thread; returns the server.

    ``server.server_address`` tells the port; ``server.shutdown()`` stops it and
    ``server.server_close()`` releases the port. Time is the clock of
    this machine at the request.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Content-Type") != "application/timestamp-query" or not 0 < length <= 65536:
                self.send_error(400, "expected an application/timestamp-query body")
                return
            body = tsa.respond(self.rfile.read(length), at=datetime.now(UTC))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server
