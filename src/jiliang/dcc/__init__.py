"""Digital calibration certificates (PTB DCC 3.3.0 / D-SI 2.2.1): the format core.

Usable alone (no database, no web): build a :class:`Certificate` (or one from a
:class:`CalibrationRecordInput`), write it (:func:`to_xml`), read 3.0 – 3.3 (:func:`from_xml`),
migrate (:func:`migrate`), validate (:func:`validate`), sign as XAdES B-LT (:func:`sign`),
verify (:func:`verify`) and render (:func:`render_pdf`, :func:`render_html`).

Heavy libraries (lxml, signxml, cryptography, reportlab) are imported inside the functions.
"""

from __future__ import annotations

from jiliang.dcc.errors import DccError, DccSizeError, SigningError, UnsafeXmlError
from jiliang.dcc.migrate import MigrationResult, migrate
from jiliang.dcc.model import (
    Certificate,
    Contact,
    CoreData,
    Equipment,
    EquipmentCertificate,
    ExpandedMU,
    ExpandedMUList,
    Hybrid,
    Identification,
    InfluenceCondition,
    Item,
    Laboratory,
    Limit,
    Location,
    MeasurementResult,
    Method,
    Quantity,
    Real,
    RealList,
    RespPerson,
    Result,
    Software,
    Statement,
    Text,
)
from jiliang.dcc.pki import TestPki, TimeStampAuthority, create_test_pki, load_test_pki
from jiliang.dcc.reader import from_xml
from jiliang.dcc.record import (
    CalibrationPoint,
    CalibrationRecordInput,
    ConditionInput,
    ConformityInput,
    PartyInput,
    StandardInput,
    build_certificate,
)
from jiliang.dcc.render import render_html, render_pdf, verify_url
from jiliang.dcc.signing import EcdsaSigner, SignatureVerifier, Signer, sign
from jiliang.dcc.validate import Problem, ValidationReport, validate
from jiliang.dcc.verify import Check, VerificationReport, verify
from jiliang.dcc.writer import to_xml

__all__ = [
    "CalibrationPoint",
    "CalibrationRecordInput",
    "Certificate",
    "Check",
    "ConditionInput",
    "ConformityInput",
    "Contact",
    "CoreData",
    "DccError",
    "DccSizeError",
    "EcdsaSigner",
    "Equipment",
    "EquipmentCertificate",
    "ExpandedMU",
    "ExpandedMUList",
    "Hybrid",
    "Identification",
    "InfluenceCondition",
    "Item",
    "Laboratory",
    "Limit",
    "Location",
    "MeasurementResult",
    "Method",
    "MigrationResult",
    "PartyInput",
    "Problem",
    "Quantity",
    "Real",
    "RealList",
    "RespPerson",
    "Result",
    "SignatureVerifier",
    "Signer",
    "SigningError",
    "Software",
    "StandardInput",
    "Statement",
    "TestPki",
    "Text",
    "TimeStampAuthority",
    "UnsafeXmlError",
    "ValidationReport",
    "VerificationReport",
    "build_certificate",
    "create_test_pki",
    "from_xml",
    "load_test_pki",
    "migrate",
    "render_html",
    "render_pdf",
    "sign",
    "to_xml",
    "validate",
    "verify",
    "verify_url",
]
