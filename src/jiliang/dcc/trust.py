"""Who signs and whom the platform trusts: the platform CA, each laboratory's own key, demo mode.

Nothing here is derived from a value in the code: every key is generated at random and stored
under the data folder.

``<data_dir>/dcc-ca/``
    The platform CA, made with ``jiliang dcc ca init <data_dir>/dcc-ca`` (root CA, issuing CA,
    time-stamping authority, CRLs; see :mod:`jiliang.dcc.pki`). When it exists, its root and
    issuing CA are trust anchors and it issues the laboratories' signing certificates.
``<data_dir>/dcc-demo-ca/``
    The demo CA, made with random keys by ``jiliang demo seed``. It is trusted **only** when the
    setting ``demo_mode`` is on, and signs only then and when no platform CA exists.
``<ca>/labs/org-<id>/key.pem`` (mode 0600) and ``cert.pem``
    A laboratory's signing key and certificate, issued by that CA the first time the laboratory
    signs; the subject names the organisation. A revoked one is moved aside and replaced on the
    next use.

Further trust anchors (other CAs whose certificates this platform accepts) come from the PEM
bundle named by the setting ``trust_anchors``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jiliang.dcc.errors import DccError
from jiliang.dcc.pki import TestPki, TimeStampAuthority, create_test_pki, load_pem_bundle, load_test_pki
from jiliang.errors import ConflictError

__all__ = [
    "DEMO_CA_DIR",
    "PLATFORM_CA_DIR",
    "IssuingKeys",
    "LabIdentity",
    "TrustContext",
    "demo_keys",
    "issuing_keys",
    "revoke_lab_certificate",
    "trust_context",
]

PLATFORM_CA_DIR = "dcc-ca"
DEMO_CA_DIR = "dcc-demo-ca"
LAB_CERT_DAYS = 3 * 365
"""Lifetime of a laboratory's signing certificate from the platform CA."""


@dataclass(frozen=True, slots=True)
class LabIdentity:
    """The organisation a signing certificate is issued to (its subject)."""

    org_id: int
    name: str
    name_en: str | None = None
    credit_code: str | None = None

    def subject(self) -> Any:
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, (self.name_en or self.name)[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, self.name[:64]),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, self.credit_code or f"org-{self.org_id}"),
        ]
        return x509.Name(attrs)

    @classmethod
    def of(cls, org: Any) -> LabIdentity:
        """From an :class:`~jiliang.platform.models.Organization` row."""
        return cls(org.id, org.name, org.name_en, getattr(org, "credit_code", None))


@dataclass
class IssuingKeys:
    """A CA that gives each laboratory its own signing key, plus the TSA and values to embed.

    ``folder`` is the CA folder (lab keys are stored in ``folder/labs``); None keeps the lab keys
    in memory (tests). ``lab_not_before`` backdates lab certificates, then valid as long as the
    issuing CA (the demo signs in the past).
    """

    pki: TestPki
    folder: Path | None = None
    demo: bool = False
    lab_not_before: datetime | None = None
    _memory: dict[int, tuple[Any, Any]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def certificates(self) -> tuple[Any, ...]:
        """The chain and TSA certificates embedded in every signature (B-LT)."""
        return (self.pki.sub, self.pki.root, self.pki.tsa_cert)

    @property
    def crls(self) -> tuple[Any, ...]:
        """The CA's current CRLs, embedded in every signature (B-LT)."""
        return self.pki.crls

    @property
    def trust_pem(self) -> bytes:
        return self.pki.trust_pem

    @property
    def tsa(self) -> TimeStampAuthority:
        return self.pki.tsa()

    def signer_for(self, lab: LabIdentity, now: datetime) -> Any:
        """The laboratory's signer, its certificate issued on first use (and after revocation)."""
        from jiliang.dcc.signing import EcdsaSigner

        with self._lock:
            pair = self._load(lab.org_id)
            if pair is None or not self._usable(pair[1], lab, now):
                pair = self._issue(lab, now)
        return EcdsaSigner(pair[0], pair[1], (self.pki.sub,))

    def _usable(self, cert: Any, lab: LabIdentity, now: datetime) -> bool:
        if cert.subject != lab.subject() or cert.issuer != self.pki.sub.subject:
            return False
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return False
        return self.pki.sub_crl.get_revoked_certificate_by_serial_number(cert.serial_number) is None

    def _lab_dir(self, org_id: int) -> Path | None:
        return self.folder / "labs" / f"org-{org_id}" if self.folder is not None else None

    def _load(self, org_id: int) -> tuple[Any, Any] | None:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        path = self._lab_dir(org_id)
        if path is None:
            return self._memory.get(org_id)
        if not (path / "key.pem").is_file():
            return None
        try:
            key = load_pem_private_key((path / "key.pem").read_bytes(), None)
            cert = x509.load_pem_x509_certificate((path / "cert.pem").read_bytes())
        except (OSError, ValueError) as exc:
            raise DccError(f"cannot read the signing key of organisation {org_id} in {path}: {exc}") from None
        return key, cert

    def _issue(self, lab: LabIdentity, now: datetime) -> tuple[Any, Any]:
        start = self.lab_not_before or now - timedelta(days=1)
        days = LAB_CERT_DAYS
        if self.lab_not_before is not None:  # backdated (demo): valid as long as the issuing CA
            days = (self.pki.sub.not_valid_after_utc - start).days
        key, cert = self.pki.issue_signer(lab.name, not_before=start, days=days, subject=lab.subject())
        path = self._lab_dir(lab.org_id)
        if path is None:
            self._memory[lab.org_id] = (key, cert)
        else:
            _store_lab_key(path, key, cert)
        return key, cert


def _store_lab_key(path: Path, key: Any, cert: Any) -> None:
    """Write key (0600) and certificate into a fresh folder, then move it into place."""
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{secrets.token_hex(8)}"
    tmp.mkdir(mode=0o700)
    fd = os.open(tmp / "key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    if path.exists():
        path.rename(path.parent / f"{path.name}.replaced-{secrets.token_hex(4)}")
    tmp.rename(path)


def _read_ca(folder: Path) -> TestPki | None:
    return load_test_pki(folder) if (folder / "sub.key").is_file() else None


def issuing_keys(settings: Any) -> IssuingKeys:
    """The CA the platform issues with: the platform CA, else the demo CA in demo mode, else refuse."""
    platform = _read_ca(settings.data_dir / PLATFORM_CA_DIR)
    if platform is not None:
        return IssuingKeys(platform, settings.data_dir / PLATFORM_CA_DIR)
    if settings.demo_mode:
        folder = settings.data_dir / DEMO_CA_DIR
        demo = _read_ca(folder)
        if demo is not None:
            return IssuingKeys(demo, folder, demo=True, lab_not_before=demo.sub.not_valid_before_utc)
    raise ConflictError(
        f"no certificate authority is configured: run `jiliang dcc ca init {settings.data_dir / PLATFORM_CA_DIR}`"
        + (" (or `jiliang demo seed` in demo mode)" if settings.demo_mode else "")
    )


def demo_keys(data_dir: Path | None, *, now: datetime) -> IssuingKeys:
    """The demo CA (random keys), made on first use in ``data_dir/dcc-demo-ca`` (in memory when None)."""
    folder = data_dir / DEMO_CA_DIR if data_dir is not None else None
    pki = _read_ca(folder) if folder is not None else None
    if pki is None:
        pki = create_test_pki(now=now - timedelta(days=15 * 365), years=40, ca_name="Jiliang Demo")
        if folder is not None:
            pki.save(folder)
    return IssuingKeys(pki, folder, demo=True, lab_not_before=pki.sub.not_valid_before_utc)


def revoke_lab_certificate(folder: Path, org_id: int, *, when: datetime) -> Any:
    """Revoke a laboratory's signing certificate in the CA of ``folder``: add it to the CA's CRL.

    Returns the revoked certificate; the laboratory gets a new one the next time it signs.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pki = load_test_pki(folder)
    path = folder / "labs" / f"org-{org_id}"
    try:
        cert = x509.load_pem_x509_certificate((path / "cert.pem").read_bytes())
    except (OSError, ValueError):
        raise DccError(f"organisation {org_id} has no signing certificate in {folder}") from None
    revoked = pki.revoke(cert, when)
    (folder / "sub.crl").write_bytes(revoked.sub_crl.public_bytes(Encoding.DER))
    shutil.move(str(path), str(path.parent / f"{path.name}.revoked-{cert.serial_number:x}"))
    return cert


@dataclass(frozen=True)
class TrustContext:
    """What a verification trusts: the anchors, the CRLs the platform holds, the policy, demo mode."""

    trust_pem: bytes
    policy: str = "B-LT"
    current_crls: tuple[Any, ...] = ()
    demo_mode: bool = False
    problems: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """Name of the policy, the anchors (subject and SHA-256 fingerprint), demo mode."""
        from cryptography.hazmat.primitives.serialization import Encoding

        try:
            anchors = load_pem_bundle(self.trust_pem) if self.trust_pem else []
        except DccError:
            anchors = []
        return {
            "name": self.policy,
            "demo_mode": self.demo_mode,
            "trust_anchors": [
                {
                    "subject": c.subject.rfc4514_string(),
                    "sha256": hashlib.sha256(c.public_bytes(Encoding.DER)).hexdigest(),
                }
                for c in anchors
            ],
        }


def trust_context(settings: Any) -> TrustContext:
    """Anchors: the ``trust_anchors`` bundle, the platform CA if it exists, the demo CA in demo mode."""
    pem = b""
    crls: list[Any] = []
    problems: list[str] = []
    if settings.trust_anchors is not None:
        try:
            data = Path(settings.trust_anchors).read_bytes()
            load_pem_bundle(data)
            pem += data if data.endswith(b"\n") else data + b"\n"
        except (OSError, DccError) as exc:
            problems.append(f"trust_anchors {settings.trust_anchors}: {exc}")
    folders = [settings.data_dir / PLATFORM_CA_DIR]
    if settings.demo_mode:
        folders.append(settings.data_dir / DEMO_CA_DIR)
    for folder in folders:
        try:
            pki = _read_ca(folder)
        except DccError as exc:
            problems.append(exc.message)
            continue
        if pki is not None:
            pem += pki.trust_pem
            crls.extend(pki.crls)
    return TrustContext(pem, settings.signature_policy, tuple(crls), settings.demo_mode, tuple(problems))
