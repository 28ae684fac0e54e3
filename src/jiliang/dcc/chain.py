"""Certificate paths (RFC 5280 §6) for signers and time-stamping authorities, at a given time.

A path is built from the leaf through the embedded certificates to a certificate of the trust
bundle, each link's signature checked by whichever registered verifier knows its algorithm. The
path is then validated:

* by ``cryptography``'s X.509 verifier (:mod:`cryptography.x509.verification`) whenever every
  certificate of the path is signed with an algorithm it knows (RSA PKCS#1 v1.5, RSA-PSS, ECDSA,
  Ed25519) — dates, signatures, basicConstraints, path length, unknown critical extensions,
  minimum key sizes — with the extension policy below;
* and always by the same rules written here, so a path with SM2 links (which ``cryptography``
  cannot check) is held to them too, and every failure has a plain reason.

Rules: the leaf's keyUsage, when present, allows ``digitalSignature`` or ``nonRepudiation``; every
issuer is a CA (basicConstraints ``cA``) whose keyUsage, when present, allows ``keyCertSign``; no
CA's ``pathLenConstraint`` is exceeded; no certificate carries a critical extension this module
does not process. Revocation is checked elsewhere (:mod:`jiliang.dcc.verify`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["PathResult", "policy_problem", "validate_path"]

IssuedBy = Callable[[Any, Any], bool]

MAX_DEPTH = 8

# Extensions whose meaning this module (or the verifier) processes; a critical extension outside
# this set makes the certificate unusable (RFC 5280 §4.2).
_HANDLED = {
    "2.5.29.15",  # keyUsage
    "2.5.29.19",  # basicConstraints
    "2.5.29.37",  # extendedKeyUsage (checked by the caller for TSAs)
    "2.5.29.17",  # subjectAltName
    "2.5.29.14",  # subjectKeyIdentifier
    "2.5.29.35",  # authorityKeyIdentifier
    "2.5.29.31",  # cRLDistributionPoints
    "2.5.29.32",  # certificatePolicies (no policy is required: anyPolicy)
}


@dataclass(frozen=True, slots=True)
class PathResult:
    """A validated path (leaf first, trust anchor last) or, when ``chain`` is None, why not."""

    chain: tuple[Any, ...] | None
    reason: str
    checked_by: str = ""


def _name(cert: Any) -> str:
    return str(cert.subject.rfc4514_string())


def _basic_constraints(cert: Any) -> Any:
    from cryptography import x509

    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None


def _key_usage(cert: Any) -> Any:
    from cryptography import x509

    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def _build(leaf: Any, anchors: list[Any], pool: list[Any], at: datetime, issued_by: IssuedBy) -> PathResult:
    """Leaf → … → anchor, every certificate valid at ``at`` and every issuer a CA."""
    anchor_set = set(anchors)
    named = [(c.subject, c) for c in anchors + pool]
    chain = [leaf]
    current = leaf
    for _ in range(MAX_DEPTH):
        if not (current.not_valid_before_utc <= at <= current.not_valid_after_utc):
            return PathResult(
                None,
                f"certificate {_name(current)} is not valid at {at.isoformat()} "
                f"(valid {current.not_valid_before_utc.isoformat()} to {current.not_valid_after_utc.isoformat()})",
            )
        if current in anchor_set:
            return PathResult(tuple(chain), "ok")
        issuer = next(
            (c for name, c in named if name == current.issuer and c is not current and issued_by(current, c)),
            None,
        )
        if issuer is None:
            if current.issuer == current.subject:
                return PathResult(
                    None, f"self-signed certificate {_name(current)} is not in the trust bundle"
                )
            return PathResult(
                None,
                f"no trusted issuer for {_name(current)} (issuer {current.issuer.rfc4514_string()})",
            )
        bc = _basic_constraints(issuer)
        if bc is None or not bc.ca:
            return PathResult(None, f"issuer {_name(issuer)} is not a CA certificate")
        chain.append(issuer)
        current = issuer
    return PathResult(None, "certificate chain is too long")


def _leaf_usage_problem(cert: Any) -> str | None:
    ku = _key_usage(cert)
    if ku is not None and not (ku.digital_signature or ku.content_commitment):
        return (
            f"certificate {_name(cert)} may not sign: its keyUsage allows neither digitalSignature "
            "nor nonRepudiation"
        )
    return None


def _ca_usage_problem(cert: Any) -> str | None:
    ku = _key_usage(cert)
    if ku is not None and not ku.key_cert_sign:
        return f"CA certificate {_name(cert)} may not issue certificates: its keyUsage lacks keyCertSign"
    return None


def _critical_problem(cert: Any) -> str | None:
    for ext in cert.extensions:
        if ext.critical and ext.oid.dotted_string not in _HANDLED:
            return f"certificate {_name(cert)} carries an unknown critical extension {ext.oid.dotted_string}"
    return None


def policy_problem(chain: tuple[Any, ...]) -> str | None:
    """The first RFC 5280 rule the path breaks (key usage, path length, critical extensions), or None."""
    leaf = chain[0]
    problem = _critical_problem(leaf) or _leaf_usage_problem(leaf)
    if problem:
        return problem
    for depth, ca in enumerate(chain[1:]):
        problem = _critical_problem(ca) or _ca_usage_problem(ca)
        if problem:
            return problem
        bc = _basic_constraints(ca)
        # ``depth`` = number of intermediate CAs between this CA and the leaf (self-issued ones count
        # here too: the test and platform hierarchies have none).
        if bc is not None and bc.path_length is not None and depth > bc.path_length:
            return (
                f"path length exceeded: CA certificate {_name(ca)} allows {bc.path_length} intermediate "
                f"CA(s) below it, the path has {depth}"
            )
    return None


_KNOWN_ALGORITHMS = {
    "1.2.840.113549.1.1.11",  # sha256WithRSAEncryption
    "1.2.840.113549.1.1.12",  # sha384WithRSAEncryption
    "1.2.840.113549.1.1.13",  # sha512WithRSAEncryption
    "1.2.840.113549.1.1.10",  # RSASSA-PSS
    "1.2.840.10045.4.3.2",  # ecdsa-with-SHA256
    "1.2.840.10045.4.3.3",  # ecdsa-with-SHA384
    "1.2.840.10045.4.3.4",  # ecdsa-with-SHA512
    "1.3.101.112",  # Ed25519
}


def _library_checks(chain: tuple[Any, ...]) -> bool:
    return all(c.signature_algorithm_oid.dotted_string in _KNOWN_ALGORITHMS for c in chain)


def _extension_policies() -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.x509.verification import Criticality, ExtensionPolicy

    def ca_constraints(_policy: Any, cert: Any, bc: Any) -> None:
        if not bc.ca:
            raise ValueError(f"issuer {_name(cert)} is not a CA certificate")

    def ca_usage(_policy: Any, cert: Any, ku: Any) -> None:
        if ku is not None and (problem := _ca_usage_problem(cert)):
            raise ValueError(problem)

    def leaf_usage(_policy: Any, cert: Any, ku: Any) -> None:
        if ku is not None and (problem := _leaf_usage_problem(cert)):
            raise ValueError(problem)

    agnostic = Criticality.AGNOSTIC
    ca = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, agnostic, ca_constraints)
        .may_be_present(x509.KeyUsage, agnostic, ca_usage)
    )
    ee = ExtensionPolicy.permit_all().may_be_present(x509.KeyUsage, agnostic, leaf_usage)
    return ca, ee


_NOISE = re.compile(r"\s*\(encountered processing <Certificate\(.*?\)>\)")


def _clean(message: str) -> str:
    """The verifier's message without its object reprs and wrapper words."""
    text = _NOISE.sub("", message).removeprefix("validation failed: ")
    text = re.sub(r"^Python extension validator failed: \w+: ", "", text)
    return " ".join(text.split())[:300]


def _library_path(leaf: Any, anchors: list[Any], pool: list[Any], at: datetime) -> PathResult:
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    ca, ee = _extension_policies()
    verifier = (
        PolicyBuilder()
        .store(Store(anchors))
        .time(at)
        .max_chain_depth(MAX_DEPTH)
        .extension_policies(ca_policy=ca, ee_policy=ee)
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(leaf, pool)
    except VerificationError as exc:
        return PathResult(None, f"the X.509 path validation failed: {_clean(str(exc))}")
    return PathResult(tuple(verified.chain), "ok", "cryptography.x509.verification")


def validate_path(
    leaf: Any, anchors: list[Any], pool: list[Any], at: datetime, issued_by: IssuedBy
) -> PathResult:
    """Build and validate the path of ``leaf`` to a trust anchor at ``at`` (module docstring)."""
    built = _build(leaf, anchors, pool, at, issued_by)
    if built.chain is None:
        return built
    problem = policy_problem(built.chain)
    if problem:
        return PathResult(None, problem)
    if _library_checks(built.chain):
        return _library_path(leaf, anchors, [c for c in pool if c is not leaf], at)
    return PathResult(built.chain, "ok", "RFC 5280 rules (algorithms outside cryptography's verifier)")
