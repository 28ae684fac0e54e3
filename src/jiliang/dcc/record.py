"""The input a certificate is issued from: one calibration record, as plain frozen dataclasses.

:class:`CalibrationRecordInput` is the contract between whoever holds calibration records (the
registry, a LIMS, a spreadsheet import) and this package: fill it in, call
:func:`build_certificate`, and a complete DCC 3.3.0 model comes out (Chinese and English).
Everything is explicit: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from jiliang.dcc.errors import DccError
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
from jiliang.units import conversion

__all__ = [
    "CalibrationPoint",
    "CalibrationRecordInput",
    "ConditionInput",
    "ConformityInput",
    "PartyInput",
    "StandardInput",
    "build_certificate",
]

HYBRID_UNITS: dict[str, str] = {
    "\\degreecelsius": "\\kelvin",
    "\\bar": "\\kilo\\pascal",
    "\\milli\\metre": "\\metre",
}
"""Units for which the reference values are also given in a second unit (si:hybrid): unit → second
unit, converted by :func:`jiliang.units.conversion`."""


@dataclass(frozen=True, slots=True)
class PartyInput:
    """A laboratory or customer: Chinese and English name, city, address; lab: accreditation code."""

    name_zh: str
    name_en: str
    city: str
    address: str | None = None
    country_code: str = "CN"
    accreditation_code: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class StandardInput:
    """A reference standard used, with its own certificate (number, issuer, SHA-256 of its bytes)."""

    name_zh: str
    name_en: str
    serial_number: str
    certificate_number: str
    certificate_issuer: str
    certificate_sha256: str
    manufacturer: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        h = self.certificate_sha256.lower()
        if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
            raise DccError(f"certificate_sha256 {self.certificate_sha256!r} is not a SHA-256 hex digest")


@dataclass(frozen=True, slots=True)
class ConditionInput:
    """An influence condition during calibration (ambient temperature, humidity …)."""

    name_zh: str
    name_en: str
    value: Decimal
    unit: str
    U: Decimal | None = None
    k: Decimal = Decimal(2)
    ref_type: str | None = None


@dataclass(frozen=True, slots=True)
class CalibrationPoint:
    """One calibration point: reference value, indication, error = indication − reference, U(k, p)."""

    reference: Decimal
    indication: Decimal
    U: Decimal
    k: Decimal = Decimal(2)
    p: Decimal = Decimal("0.95")

    @property
    def error(self) -> Decimal:
        return self.indication - self.reference


@dataclass(frozen=True, slots=True)
class ConformityInput:
    """A conformity statement: the specification, the decision rule used, the outcome."""

    specification: str
    decision_rule: str
    result: str
    declaration_zh: str
    declaration_en: str


@dataclass(frozen=True, slots=True)
class CalibrationRecordInput:
    """Everything a calibration certificate says, in both languages.

    Attributes
    ----------
    number
        Certificate number (``dcc:uniqueIdentifier``), unique per issuing laboratory.
    laboratory, customer
        The issuing laboratory (with its CNAS accreditation code) and the customer.
    instrument_name_zh, instrument_name_en, manufacturer, model, serial_number
        The calibrated instrument.
    received, calibrated_from, calibrated_to, issued
        Dates of receipt, of the calibration, and of issue.
    quantity_zh, quantity_en, unit
        The measurand (e.g. 温度 / temperature) and its D-SI unit string (``\\degreecelsius``).
    points
        The calibration points (at least one).
    method_zh, method_en, method_norm
        The calibration procedure and its normative document (e.g. JJF 1000-0000).
    standards
        Reference standards used, each with its own certificate (traceability chain).
    conditions
        Influence conditions.
    conformity
        Optional conformity statement with the decision rule.
    traceability_zh, traceability_en
        The traceability declaration.
    performer, approver
        Names of who calibrated and who approved (the latter is the main signer).
    customer_order
        Optional order number, written as a customer identification.
    asset_number
        Optional owner's inventory number of the instrument.
    """

    number: str
    laboratory: PartyInput
    customer: PartyInput
    instrument_name_zh: str
    instrument_name_en: str
    serial_number: str
    received: date
    calibrated_from: date
    calibrated_to: date
    issued: date
    quantity_zh: str
    quantity_en: str
    unit: str
    points: tuple[CalibrationPoint, ...]
    method_zh: str
    method_en: str
    method_norm: str
    performer: str
    approver: str
    standards: tuple[StandardInput, ...] = ()
    conditions: tuple[ConditionInput, ...] = ()
    conformity: ConformityInput | None = None
    traceability_zh: str = "本证书中的测量结果可溯源至国家计量基准及国际单位制(SI)。"
    traceability_en: str = (
        "The measurement results in this certificate are traceable to national standards and the SI."
    )
    manufacturer: str | None = None
    model: str | None = None
    customer_order: str | None = None
    asset_number: str | None = None
    software_name: str = "Jiliang"
    software_release: str = "v0.1.0"
    """PTB's rules want a letter before the version number (``v0.1.0``)."""

    def __post_init__(self) -> None:
        if not self.points:
            raise DccError(f"calibration record {self.number!r} has no calibration point")
        if not (self.received <= self.calibrated_from <= self.calibrated_to <= self.issued):
            raise DccError(
                f"dates of {self.number!r} out of order: received {self.received}, calibrated "
                f"{self.calibrated_from}..{self.calibrated_to}, issued {self.issued}"
            )


def _party_contact(p: PartyInput) -> Contact:
    return Contact(
        name=Text.of(zh=p.name_zh, en=p.name_en),
        location=Location(
            city=p.city,
            country_code=p.country_code,
            further=Text.plain(p.address) if p.address else None,
        ),
        email=p.email,
    )


def _items(rec: CalibrationRecordInput) -> tuple[Item, ...]:
    """The calibrated instrument with its serial and (if any) asset number."""
    ids = [Identification("manufacturer", rec.serial_number, Text.of(zh="出厂编号", en="Serial number"))]
    if rec.asset_number:
        ids.append(Identification("owner", rec.asset_number, Text.of(zh="资产编号", en="Asset number")))
    return (
        Item(
            name=Text.of(zh=rec.instrument_name_zh, en=rec.instrument_name_en),
            identifications=tuple(ids),
            manufacturer=rec.manufacturer,
            model=rec.model,
        ),
    )


def _core(rec: CalibrationRecordInput) -> CoreData:
    """Number, languages (zh mandatory, en too), dates and the customer's order number."""
    order = (
        (Identification("customer", rec.customer_order, Text.of(zh="委托单号", en="Order number")),)
        if rec.customer_order
        else ()
    )
    return CoreData(
        unique_identifier=rec.number,
        country_code=rec.laboratory.country_code,
        used_languages=("zh", "en"),
        mandatory_languages=("zh",),
        begin_performance_date=rec.calibrated_from,
        end_performance_date=rec.calibrated_to,
        receipt_date=rec.received,
        issue_date=rec.issued,
        identifications=order,
    )


def _statements(rec: CalibrationRecordInput) -> tuple[Statement, ...]:
    """Traceability, and the conformity statement when the record makes one."""
    out = [
        Statement(
            ref_type="basic_metrologicalTraceability",
            traceable=True,
            declaration=Text.of(zh=rec.traceability_zh, en=rec.traceability_en),
        )
    ]
    if rec.conformity is not None:
        c = rec.conformity
        out.append(
            Statement(
                ref_type="basic_conformity",
                norms=(c.specification,),
                decision_rule=c.decision_rule,
                declaration=Text.of(zh=c.declaration_zh, en=c.declaration_en),
                conformity=c.result,
            )
        )
    return tuple(out)


def _equipment(rec: CalibrationRecordInput) -> tuple[Equipment, ...]:
    """The reference standards, each pointing at its own certificate by number and SHA-256."""
    return tuple(
        Equipment(
            name=Text.of(zh=s.name_zh, en=s.name_en),
            certificate=EquipmentCertificate(
                referral=Text.plain(s.certificate_issuer),
                referral_id=s.certificate_number,
                procedure="SHA-256",
                value=s.certificate_sha256.lower(),
                traceable=True,
            ),
            identifications=(Identification("calibrationLaboratory", s.serial_number),),
            manufacturer=s.manufacturer,
            model=s.model,
            id=f"std{i + 1}",
        )
        for i, s in enumerate(rec.standards)
    )


def _conditions(rec: CalibrationRecordInput) -> tuple[InfluenceCondition, ...]:
    return tuple(
        InfluenceCondition(
            name=Text.of(zh=c.name_zh, en=c.name_en),
            ref_type=c.ref_type,
            quantities=(
                Quantity(
                    Real(c.value, c.unit, ExpandedMU(c.U, c.k, Decimal("0.95")) if c.U is not None else None)
                ),
            ),
        )
        for c in rec.conditions
    )


def _reference_values(pts: tuple[CalibrationPoint, ...], unit: str) -> Real | RealList | Hybrid:
    """The reference values, also in a second unit (si:hybrid) where :data:`HYBRID_UNITS` names one."""
    ref_values = tuple(p.reference for p in pts)
    if unit not in HYBRID_UNITS:
        return RealList(ref_values, (unit,))
    other = HYBRID_UNITS[unit]
    conv = conversion(unit, other)
    return Hybrid(
        (
            RealList(ref_values, (unit,)),
            RealList(tuple(v * conv.factor + conv.offset for v in ref_values), (other,)),
        )
    )


def _errors(pts: tuple[CalibrationPoint, ...], unit: str) -> RealList:
    """Errors of indication with U; one k and one p when all points share them."""
    same_k = len({p.k for p in pts}) == 1
    same_p = len({p.p for p in pts}) == 1
    return RealList(
        tuple(p.error for p in pts),
        (unit,),
        ExpandedMUList(
            tuple(p.U for p in pts),
            (pts[0].k,) if same_k else tuple(p.k for p in pts),
            (pts[0].p,) if same_p else tuple(p.p for p in pts),
        ),
    )


def _results_table(rec: CalibrationRecordInput, equipment: tuple[Equipment, ...]) -> Result:
    """Reference value, indication and error at every point."""
    std_ids = " ".join(e.id for e in equipment if e.id) or None
    return Result(
        name=Text.of(zh="校准结果", en="Calibration results"),
        ref_type="basic_measuredValue",
        quantities=(
            Quantity(
                _reference_values(rec.points, rec.unit),
                Text.of(zh=f"参考值({rec.quantity_zh})", en=f"Reference value ({rec.quantity_en})"),
                "basic_referenceValue",
                ref_id=std_ids,
            ),
            Quantity(
                RealList(tuple(p.indication for p in rec.points), (rec.unit,)),
                Text.of(zh="示值", en="Indication"),
                "basic_indicatedValue",
            ),
            Quantity(
                _errors(rec.points, rec.unit),
                Text.of(zh="示值误差", en="Error of indication"),
                "basic_measurementError",
            ),
        ),
    )


def _largest_error(rec: CalibrationRecordInput) -> Result:
    """The largest error of indication with its U, and the conformity decision on it."""
    worst = max(rec.points, key=lambda p: (abs(p.error), p.U))
    conformity = None
    if rec.conformity is not None:
        conformity = Statement(
            ref_type="basic_conformity",
            conformity=rec.conformity.result,
            norms=(rec.conformity.specification,),
            decision_rule=rec.conformity.decision_rule,
        )
    return Result(
        name=Text.of(zh="最大示值误差", en="Largest error of indication"),
        ref_type="basic_measurementError",
        as_list=False,
        quantities=(
            Quantity(
                Real(worst.error, rec.unit, ExpandedMU(worst.U, worst.k, worst.p, "normal")),
                Text.of(zh="最大示值误差", en="Largest error of indication"),
                "basic_measurementError",
                conformity=conformity,
            ),
        ),
    )


def build_certificate(rec: CalibrationRecordInput) -> Certificate:
    """The DCC 3.3.0 model of a calibration record (zh mandatory, en used too)."""
    equipment = _equipment(rec)
    mr = MeasurementResult(
        name=Text.of(zh=f"{rec.quantity_zh}校准", en=f"Calibration of {rec.quantity_en}"),
        methods=(
            Method(
                name=Text.of(zh=rec.method_zh, en=rec.method_en),
                norms=(rec.method_norm,),
                ref_type="basic_method",
            ),
        ),
        equipment=equipment,
        influence_conditions=_conditions(rec),
        results=(_results_table(rec, equipment), _largest_error(rec)),
    )
    return Certificate(
        core=_core(rec),
        software=Software(rec.software_name, rec.software_release),
        items=_items(rec),
        laboratory=Laboratory(_party_contact(rec.laboratory), rec.laboratory.accreditation_code),
        resp_persons=(
            RespPerson(Text.plain(rec.performer), role="校准员 / Calibrated by"),
            RespPerson(Text.plain(rec.approver), role="批准人 / Approved by", main_signer=True),
        ),
        customer=_party_contact(rec.customer),
        statements=_statements(rec),
        measurement_results=(mr,),
    )
