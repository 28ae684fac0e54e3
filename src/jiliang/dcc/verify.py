"""Verify a signed certificate: signature, chain to a trust bundle, revocation, at a trusted time.

Steps, each reported as a :class:`Check`:

1. ``parse`` — hardened parsing; the root is a DCC with a ``ds:Signature`` child.
2. ``timestamp`` — the RFC 3161 token of ``xades:SignatureTimeStamp`` (if present): its CMS
   signature, that it covers this ``ds:SignatureValue``, and its TSA certificate's chain.
3. validation time — ``at`` if given, else the timestamp's ``genTime``, else ``now`` (the
   claimed ``xades:SigningTime`` is only reported, never trusted).
4. ``signature`` — the XMLDSig signature and every reference (:data:`~jiliang.dcc.signing.VERIFIERS`).
5. ``chain`` — a path from the signer's certificate to a certificate of the trust bundle, through
   certificates embedded in the signature, each valid at the validation time.
6. ``revocation`` — CRLs embedded in ``xades:RevocationValues``, each verified against its issuer.
7. ``schema`` — the signed content against its XSD.

Signature wrapping: everything reported about the certificate (number, dates, content) is read
from the element rebuilt from the bytes covered by the signature, never from the input tree.
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from jiliang.dcc.errors import DccError
from jiliang.dcc.pki import load_pem_bundle, parse_timestamp_token
from jiliang.dcc.signing import VERIFIERS, XADES_NS, signature_value_digest, verifier_for
from jiliang.dcc.writer import DCC_NS, DS_NS
from jiliang.dcc.xmlsafe import MAX_XML_BYTES, parse_xml

__all__ = [
    "POLICIES",
    "Check",
    "RevocationSources",
    "SignaturePolicy",
    "VerificationReport",
    "verify",
    "verify_with",
]

_X = "{" + XADES_NS + "}"
_DS = "{" + DS_NS + "}"


@dataclass(frozen=True, slots=True)
class Check:
    """One verification step: ``status`` ``ok``, ``failed`` or ``warning`` with the exact reason."""

    name: str
    status: Literal["ok", "failed", "warning"]
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of :func:`verify`; ``valid`` when no check failed."""

    checks: tuple[Check, ...]
    validation_time: datetime | None = None
    time_source: str | None = None
    signer_subject: str | None = None
    claimed_signing_time: datetime | None = None
    timestamp_time: datetime | None = None
    certificate_number: str | None = None
    signed_element: Any = field(default=None, repr=False, compare=False)
    policy: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def valid(self) -> bool:
        return bool(self.checks) and not any(c.status == "failed" for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "failed")

    def as_dict(self) -> dict[str, Any]:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "valid": self.valid,
            "certificate_number": self.certificate_number,
            "signer": self.signer_subject,
            "claimed_signing_time": iso(self.claimed_signing_time),
            "timestamp_time": iso(self.timestamp_time),
            "validation_time": iso(self.validation_time),
            "time_source": self.time_source,
            "policy": self.policy,
            "checks": [c.as_dict() for c in self.checks],
        }


def _b64(el: Any) -> bytes:
    return base64.b64decode("".join((el.text or "").split()))


def _path(
    cert: Any, anchors: list[Any], pool: list[Any], at: datetime, issued_by: Any
) -> tuple[list[Any] | None, str]:
    """A validated chain cert → … → anchor at ``at`` (:func:`jiliang.dcc.chain.validate_path`)."""
    from jiliang.dcc.chain import validate_path

    result = validate_path(cert, anchors, pool, at, issued_by)
    return (list(result.chain) if result.chain is not None else None), result.reason


def _issued_by(cert: Any, issuer: Any) -> bool:
    """One chain link, checked by whichever registered verifier knows the certificate's algorithm
    (an SM2 signer's chain may still hold an ECDSA time-stamping authority, and vice versa)."""
    seen: set[type] = set()
    for v in VERIFIERS.values():
        if type(v) in seen:
            continue
        seen.add(type(v))
        if v.issued_by(cert, issuer):
            return True
    return False


@dataclass(frozen=True, slots=True)
class SignaturePolicy:
    """What a signature must carry to be valid: the XAdES level it is checked against.

    ``B-LT`` (the default) requires a signature timestamp, the chain (``xades:CertificateValues``)
    and revocation data (``xades:RevocationValues``) for every certificate of the path; ``B-T``
    only the timestamp; ``B-B`` nothing beyond a signature that chains to a trust anchor.
    """

    name: str

    def __post_init__(self) -> None:
        if self.name not in POLICIES:
            raise DccError(f"signature policy {self.name!r} is not one of {', '.join(POLICIES)}")

    @property
    def requires_timestamp(self) -> bool:
        return self.name in ("B-T", "B-LT")

    @property
    def requires_long_term_data(self) -> bool:
        return self.name == "B-LT"


POLICIES = ("B-LT", "B-T", "B-B")
"""Signature policies, strongest first."""


@dataclass(frozen=True, slots=True)
class RevocationSources:
    """Revocation data besides the embedded values: the platform's current CRLs, fetched CRLs."""

    current: tuple[Any, ...] = ()
    fetch: bool = False
    timeout: float = 3.0


def _issued_crls(crls: list[Any], issuer: Any) -> list[Any]:
    out = []
    for c in crls:
        try:
            if c.issuer == issuer.subject and c.is_signature_valid(issuer.public_key()):
                out.append(c)
        except (ValueError, TypeError):  # unsupported key or malformed CRL: not evidence
            continue
    return out


def _fetch_crl(cert: Any, issuer: Any, timeout: float) -> tuple[list[Any], str | None]:
    """The CRL at the certificate's HTTP distribution point, verified by ``issuer``."""
    import urllib.request

    from cryptography import x509

    try:
        dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return [], None
    urls = [
        n.value
        for dp in dps
        for n in (dp.full_name or [])
        if isinstance(n, x509.UniformResourceIdentifier) and n.value.startswith(("http://", "https://"))
    ]
    problem = None
    for url in urls[:2]:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - http(s) only
                raw = resp.read(4 * 1024 * 1024)
            crl = x509.load_pem_x509_crl(raw) if raw.startswith(b"-----") else x509.load_der_x509_crl(raw)
        except (OSError, ValueError) as exc:
            problem = f"CRL at {url} cannot be fetched: {exc}"
            continue
        found = _issued_crls([crl], issuer)
        if found:
            return found, None
        problem = f"CRL at {url} is not signed by {issuer.subject.rfc4514_string()}"
    return [], problem


def _link_revocation(
    cert: Any, issuer: Any, embedded: list[Any], sources: RevocationSources, at: datetime
) -> tuple[list[Check], bool]:
    """Checks for one link of the path; and whether embedded revocation data covers it."""
    name = cert.subject.rfc4514_string()
    own = _issued_crls(embedded, issuer)
    found = [("current CRL", c) for c in _issued_crls(list(sources.current), issuer)]
    checks: list[Check] = []
    if not found and sources.fetch:
        fetched, problem = _fetch_crl(cert, issuer, sources.timeout)
        found += [("distribution point", c) for c in fetched]
        if problem:
            checks.append(Check("revocation", "warning", problem))
    found += [("embedded CRL", c) for c in own]
    if not found:
        checks.append(
            Check("revocation", "warning", f"no CRL of {issuer.subject.rfc4514_string()} for {name}")
        )
        return checks, False
    for source, crl in found:
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is None:
            continue
        when = entry.revocation_date_utc
        if when <= at:
            return [
                Check(
                    "revocation", "failed", f"certificate {name} was revoked on {when.isoformat()} ({source})"
                )
            ], bool(own)
        checks.append(
            Check(
                "revocation",
                "warning",
                f"certificate {name} was revoked on {when.isoformat()}, after signing ({source})",
            )
        )
    sources_used = ", ".join(sorted({s for s, _ in found}))
    checks.append(Check("revocation", "ok", f"{name} not revoked at {at.isoformat()} ({sources_used})"))
    return checks, bool(own)


def _revocation(
    chain: list[Any], crls: list[Any], at: datetime, sources: RevocationSources, policy: SignaturePolicy
) -> list[Check]:
    checks: list[Check] = []
    for cert, issuer in itertools.pairwise(chain):
        link, covered = _link_revocation(cert, issuer, crls, sources, at)
        checks += link
        if policy.requires_long_term_data and not covered:
            checks.append(
                Check(
                    "revocation",
                    "failed",
                    f"policy {policy.name}: no embedded revocation data for {cert.subject.rfc4514_string()}",
                )
            )
    if len(chain) < 2:
        checks.append(Check("revocation", "ok", "the signer certificate is itself a trust anchor"))
    return checks


def verify(
    data: bytes,
    trust_pem: bytes,
    *,
    now: datetime,
    at: datetime | None = None,
    policy: str = "B-LT",
    revocation: RevocationSources | None = None,
    require_timestamp: bool = False,
    max_bytes: int = MAX_XML_BYTES,
) -> VerificationReport:
    """Verify a signed certificate against the certificates of ``trust_pem`` (one or several).

    ``now`` is the current time (taken by the caller); ``at`` forces the validation time.
    ``policy`` names the level the signature must meet (:class:`SignaturePolicy`; default B-LT);
    ``revocation`` adds the CRLs the platform holds and fetching of distribution points.
    Never raises for a bad input: the report says what failed (oversized input raises
    :class:`~jiliang.dcc.errors.DccSizeError`).
    """
    from jiliang.dcc.errors import DccSizeError

    rules = SignaturePolicy(policy)
    described = {"name": rules.name, "trust_anchors": _describe_anchors(trust_pem)}
    try:
        report = _verify(
            data, trust_pem, now, at, rules, revocation or RevocationSources(), require_timestamp, max_bytes
        )
    except DccSizeError:
        raise
    except Exception as exc:  # hostile input reaching third-party parsers: a failed check, never a crash
        first = " ".join(str(exc).split())[:300]
        report = VerificationReport(
            (Check("parse", "failed", f"malformed certificate ({type(exc).__name__}): {first}"),)
        )
    return replace(report, policy=described)


def _describe_anchors(trust_pem: bytes) -> list[dict[str, str]]:
    import hashlib

    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        anchors = load_pem_bundle(trust_pem)
    except DccError:
        return []
    return [
        {
            "subject": c.subject.rfc4514_string(),
            "sha256": hashlib.sha256(c.public_bytes(Encoding.DER)).hexdigest(),
        }
        for c in anchors
    ]


def verify_with(
    data: bytes, trust: Any, *, now: datetime, at: datetime | None = None, max_bytes: int = MAX_XML_BYTES
) -> VerificationReport:
    """Verify with a :class:`~jiliang.dcc.trust.TrustContext`: its anchors, CRLs, policy, demo mode."""
    if not trust.trust_pem:
        detail = "; ".join(trust.problems) or "no trust anchors are configured (platform CA or trust_anchors)"
        report = VerificationReport((Check("trust", "failed", detail),))
    else:
        report = verify(
            data,
            trust.trust_pem,
            now=now,
            at=at,
            policy=trust.policy,
            revocation=RevocationSources(trust.current_crls, fetch=True),
            max_bytes=max_bytes,
        )
        if trust.problems:
            report = replace(
                report, checks=(*report.checks, *(Check("trust", "warning", p) for p in trust.problems))
            )
    return replace(report, policy={**trust.describe(), "demo_mode": trust.demo_mode})


def _signed_root(data: bytes, max_bytes: int) -> tuple[Any, Any] | Check:
    """The DCC root and its one verifiable signature, or the failed parse check (413 propagates)."""
    try:
        root = parse_xml(data, max_bytes=max_bytes).getroot()
    except DccError as exc:
        if exc.status == 413:
            raise
        return Check("parse", "failed", exc.message)
    if root.tag != f"{{{DCC_NS}}}digitalCalibrationCertificate":
        return Check("parse", "failed", f"root element {root.tag!r} is not a DCC")
    sigs = root.findall(_DS + "Signature")
    if not sigs:
        return Check("parse", "failed", "the certificate is not signed (no ds:Signature child of the root)")
    if len(root.findall(".//" + _DS + "Signature")) != len(sigs):
        return Check("parse", "failed", "ds:Signature found outside the root's children (possible wrapping)")
    return root, sigs


def _embedded(sig: Any, checks: list[Check]) -> tuple[list[Any], list[Any]]:
    """The certificates and CRLs the signature carries; malformed ones are failed checks."""
    from cryptography import x509

    certs: list[Any] = []
    for el in sig.iter(f"{_DS}X509Certificate", f"{_X}EncapsulatedX509Certificate"):
        try:
            certs.append(x509.load_der_x509_certificate(_b64(el)))
        except ValueError:
            checks.append(Check("chain", "failed", "an embedded certificate is malformed (not base64 DER)"))
    crls: list[Any] = []
    for el in sig.iter(f"{_X}EncapsulatedCRLValue"):
        try:
            crls.append(x509.load_der_x509_crl(_b64(el)))
        except ValueError:
            checks.append(Check("revocation", "failed", "an embedded CRL is malformed (not base64 DER)"))
    return certs, crls


def _require_time_stamping(tsa_cert: Any) -> None:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        eku = tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = ()
    if ExtendedKeyUsageOID.TIME_STAMPING not in eku:
        raise DccError("TSA certificate lacks the timeStamping extended key usage")


def _timestamp_time(ts_el: Any, sig: Any, anchors: list[Any], embedded: list[Any]) -> tuple[datetime, str]:
    """The RFC 3161 time that covers this signature value and its TSA, or DccError / ValueError."""
    token, tsa_cert = parse_timestamp_token(_b64(ts_el))
    if token.message_imprint != signature_value_digest(sig, token.hash_algorithm):
        raise DccError("the timestamp does not cover this signature value")
    path, why = _path(tsa_cert, anchors, list(token.tsa_certificates) + embedded, token.gen_time, _issued_by)
    if path is None:
        raise DccError(f"TSA certificate not trusted: {why}")
    _require_time_stamping(tsa_cert)
    return token.gen_time, tsa_cert.subject.rfc4514_string()


def _timestamp(
    sig: Any,
    anchors: list[Any],
    embedded: list[Any],
    rules: SignaturePolicy,
    required: bool,
    checks: list[Check],
) -> datetime | None:
    """Check the signature timestamp (XAdES SignatureTimeStamp) against the policy; its time if valid."""
    ts_el = sig.find(
        f"{_DS}Object/{_X}QualifyingProperties/{_X}UnsignedProperties/{_X}UnsignedSignatureProperties/{_X}SignatureTimeStamp/{_X}EncapsulatedTimeStamp"
    )
    if ts_el is None:
        if required or rules.requires_timestamp:
            checks.append(
                Check("timestamp", "failed", f"policy {rules.name}: no signature timestamp present")
            )
        else:
            checks.append(
                Check("timestamp", "warning", "no signature timestamp; validation time is not attested")
            )
        return None
    try:
        ts_time, tsa = _timestamp_time(ts_el, sig, anchors, embedded)
    except DccError as exc:
        checks.append(Check("timestamp", "failed", exc.message))
        return None
    except ValueError as exc:  # bad base64 and the like
        checks.append(Check("timestamp", "failed", f"malformed timestamp token: {exc}"))
        return None
    checks.append(Check("timestamp", "ok", f"RFC 3161 timestamp {ts_time.isoformat()} by {tsa}"))
    return ts_time


def _validation_time(at: datetime | None, ts_time: datetime | None, now: datetime) -> tuple[datetime, str]:
    """The time the chain is validated at, and where it comes from (given, timestamp, now)."""
    if at is not None:
        return at.astimezone(UTC), "given"
    if ts_time is not None:
        return ts_time, "timestamp"
    return now.astimezone(UTC), "now"


def _claimed_signing_time(signed_props: Any, checks: list[Check]) -> datetime | None:
    st = signed_props.find(f"{_X}SigningTime") if signed_props is not None else None
    if st is None or not st.text:
        return None
    try:
        return datetime.fromisoformat(st.text.strip().replace("Z", "+00:00"))
    except ValueError:
        checks.append(Check("signature", "warning", f"SigningTime {st.text!r} is not a date-time"))
        return None


def _chain_checks(
    signer: Any, cert_der: bytes, ctx: _ChainContext, when: datetime, source: str
) -> list[Check]:
    """The signer's path to a trust anchor, the policy's long-term data, and revocation."""
    from cryptography.hazmat.primitives.serialization import Encoding

    pool = [c for c in ctx.embedded if c.public_bytes(Encoding.DER) != cert_der]
    chain, why = _path(signer, ctx.anchors, pool, when, _issued_by)
    if chain is None:
        return [Check("chain", "failed", why)]
    names = " -> ".join(c.subject.rfc4514_string() for c in chain)
    checks = [Check("chain", "ok", f"{names} (at {when.isoformat()}, {source})")]
    if ctx.rules.requires_long_term_data and ctx.sig.find(f".//{_X}CertificateValues") is None:
        checks.append(
            Check("chain", "failed", f"policy {ctx.rules.name}: no xades:CertificateValues embedded")
        )
    return checks + _revocation(chain, ctx.crls, when, ctx.sources, ctx.rules)


def _schema_check(signed_root: Any) -> Check:
    from jiliang.dcc.validate import validate_tree

    report = validate_tree(signed_root)
    if report.valid:
        note = "; ".join(p.message for p in report.problems) or f"valid against DCC {report.schema_version}"
        return Check("schema", "warning" if report.problems else "ok", note)
    problem = report.errors[0]
    return Check("schema", "failed", f"{problem.xpath}: {problem.message}")


@dataclass(frozen=True, slots=True)
class _ChainContext:
    sig: Any
    anchors: list[Any]
    embedded: list[Any]
    crls: list[Any]
    rules: SignaturePolicy
    sources: RevocationSources


def _verify(
    data: bytes,
    trust_pem: bytes,
    now: datetime,
    at: datetime | None,
    rules: SignaturePolicy,
    sources: RevocationSources,
    require_timestamp: bool,
    max_bytes: int,
) -> VerificationReport:
    """The checks in order: trust anchors, parse, signature method, embedded data, timestamp,
    signature at the validation time, chain and revocation, schema."""
    from cryptography import x509

    try:
        anchors = load_pem_bundle(trust_pem)
    except DccError as exc:
        return VerificationReport((Check("trust", "failed", exc.message),))
    parsed = _signed_root(data, max_bytes)
    if isinstance(parsed, Check):
        return VerificationReport((parsed,))
    root, sigs = parsed
    sig = sigs[0]
    checks = [
        Check(
            "parse",
            "ok",
            f"DCC {root.get('schemaVersion')} with {len(sigs)} signature(s); the first is verified",
        )
    ]
    method_el = sig.find(f"{_DS}SignedInfo/{_DS}SignatureMethod")
    method = method_el.get("Algorithm") if method_el is not None else None
    verifier = verifier_for(method or "")
    if verifier is None:
        checks.append(Check("signature", "failed", f"no verifier for SignatureMethod {method!r}"))
        return VerificationReport(tuple(checks))
    embedded, crls = _embedded(sig, checks)
    ts_time = _timestamp(sig, anchors, embedded, rules, require_timestamp, checks)
    when, source = _validation_time(at, ts_time, now)
    try:
        signed_root, signed_props, cert_der = verifier.verify(data, when)
    except DccError as exc:
        checks.append(Check("signature", "failed", exc.message))
        return VerificationReport(tuple(checks), when, source)
    except Exception as exc:  # third-party code on hostile input: any failure is a failed check
        first = " ".join(str(exc).split())[:300]
        checks.append(Check("signature", "failed", f"malformed signature ({type(exc).__name__}): {first}"))
        return VerificationReport(tuple(checks), when, source)
    signer = x509.load_der_x509_certificate(cert_der)
    checks.append(
        Check("signature", "ok", f"{method} over the whole certificate, SignedProperties and key info")
    )
    claimed = _claimed_signing_time(signed_props, checks)
    ctx = _ChainContext(sig, anchors, embedded, crls, rules, sources)
    checks += _chain_checks(signer, cert_der, ctx, when, source)
    checks.append(_schema_check(signed_root))
    number_el = signed_root.find(
        f"{{{DCC_NS}}}administrativeData/{{{DCC_NS}}}coreData/{{{DCC_NS}}}uniqueIdentifier"
    )
    return VerificationReport(
        tuple(checks),
        when,
        source,
        signer.subject.rfc4514_string(),
        claimed,
        ts_time,
        number_el.text.strip() if number_el is not None and number_el.text else None,
        signed_root,
    )
