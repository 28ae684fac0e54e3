"""The certificate as frozen dataclasses: what the writer writes and the reader reads.

The model follows PTB DCC 3.3.0 / D-SI 2.2.1 (element names in the docstrings). It holds what a
calibration certificate of this platform says; elements of foreign files outside it (formulae,
embedded documents, comments …) are not dropped by :func:`jiliang.dcc.migrate.migrate`, which works
on the XML tree, but they are not part of this model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from jiliang.dcc.errors import DccError

__all__ = [
    "CONFORMITY_VALUES",
    "IDENTIFICATION_ISSUERS",
    "LIMIT_KINDS",
    "Certificate",
    "Contact",
    "CoreData",
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
    "Quantity",
    "Real",
    "RealList",
    "RespPerson",
    "Result",
    "Software",
    "Statement",
    "Text",
]

IDENTIFICATION_ISSUERS = ("manufacturer", "calibrationLaboratory", "customer", "owner", "other")
"""``dcc:issuer`` values allowed by the XSD (``stringIssuerType``)."""

CONFORMITY_VALUES = ("pass", "fail", "conditionalPass", "conditionalFail", "noPass", "noFail")
"""``dcc:conformity`` values allowed by the XSD (``stringConformityStatementStatusType``)."""

PERFORMANCE_LOCATIONS = ("laboratory", "customer", "laboratoryBranch", "customerBranch", "other")

_LANG = re.compile(r"^[a-z]{2}$")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise DccError(message)


def _check_id(value: str | None, what: str) -> None:
    if value is not None:
        _need(bool(_NCNAME.match(value)), f"{what} id {value!r} is not an XML NCName")


@dataclass(frozen=True, slots=True)
class Text:
    """Multilingual text: ``dcc:content`` repeated per language (``lang`` ``""`` = no attribute).

    A language repeated by mistake (as in some published examples) is kept as read; the
    validator reports it.

    >>> Text.of(zh="温度计", en="Thermometer").get("en")
    'Thermometer'
    """

    contents: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        _need(len(self.contents) > 0, "a text needs at least one dcc:content")
        for lang, text in self.contents:
            _need(lang == "" or bool(_LANG.match(lang)), f"language code {lang!r} is not ISO 639-1")
            _need(isinstance(text, str) and text.strip() != "", f"empty text for language {lang!r}")

    @classmethod
    def of(cls, **by_lang: str | None) -> Text:
        """Build from keyword arguments ``zh=…, en=…`` (None values are skipped)."""
        return cls(tuple((k, v) for k, v in by_lang.items() if v))

    @classmethod
    def plain(cls, text: str) -> Text:
        """Text without a language attribute (names, codes)."""
        return cls((("", text),))

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(lang for lang, _ in self.contents if lang)

    def get(self, lang: str) -> str:
        """The text in ``lang``, else the unmarked text, else the first one."""
        for code, text in self.contents:
            if code == lang:
                return text
        for code, text in self.contents:
            if code == "":
                return text
        return self.contents[0][1]


def _dec(value: Decimal | int | float | str, what: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise DccError(f"{what} {value!r} is not a number") from None
    _need(d.is_finite(), f"{what} {value!r} is not finite")
    return d


@dataclass(frozen=True, slots=True)
class ExpandedMU:
    """``si:expandedMU``: expanded uncertainty U = k·u with coverage probability p (GUM 6.2)."""

    U: Decimal
    k: Decimal
    p: Decimal
    distribution: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "U", _dec(self.U, "expanded uncertainty"))
        object.__setattr__(self, "k", _dec(self.k, "coverage factor"))
        object.__setattr__(self, "p", _dec(self.p, "coverage probability"))
        _need(self.U >= 0, f"expanded uncertainty {self.U} is negative")
        _need(self.k >= 1, f"coverage factor {self.k} is below 1")
        _need(0 <= self.p <= 1, f"coverage probability {self.p} is outside [0, 1]")


@dataclass(frozen=True, slots=True)
class ExpandedMUList:
    """``si:expandedMUXMLList``: one U per value; k and p either one or one per value."""

    U: tuple[Decimal, ...]
    k: tuple[Decimal, ...]
    p: tuple[Decimal, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "U", tuple(_dec(v, "expanded uncertainty") for v in self.U))
        object.__setattr__(self, "k", tuple(_dec(v, "coverage factor") for v in self.k))
        object.__setattr__(self, "p", tuple(_dec(v, "coverage probability") for v in self.p))
        _need(len(self.U) > 0 and len(self.k) > 0 and len(self.p) > 0, "empty uncertainty list")
        _need(all(u >= 0 for u in self.U), f"negative expanded uncertainty in {self.U}")
        _need(all(k >= 1 for k in self.k), f"coverage factor below 1 in {self.k}")
        _need(all(0 <= p <= 1 for p in self.p), f"coverage probability outside [0, 1] in {self.p}")


@dataclass(frozen=True, slots=True)
class Real:
    """``si:real``: one value with its D-SI unit and, optionally, its expanded uncertainty."""

    value: Decimal
    unit: str
    uncertainty: ExpandedMU | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _dec(self.value, "value"))
        _need(bool(self.unit.strip()), "a si:real needs a unit")


@dataclass(frozen=True, slots=True)
class RealList:
    """``si:realListXMLList``: a column of values (space-separated lists in the XML)."""

    values: tuple[Decimal, ...]
    units: tuple[str, ...]
    uncertainty: ExpandedMUList | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(_dec(v, "value") for v in self.values))
        n = len(self.values)
        _need(n > 0, "a value list needs at least one value")
        _need(len(self.units) in (1, n), f"{len(self.units)} units for {n} values")
        _need(all(u and " " not in u for u in self.units), f"bad unit in {self.units}")
        if self.uncertainty is not None:
            unc = self.uncertainty
            _need(len(unc.U) in (1, n), f"{len(unc.U)} uncertainties for {n} values")
            _need(len(unc.k) in (1, n), f"{len(unc.k)} coverage factors for {n} values")
            _need(len(unc.p) in (1, n), f"{len(unc.p)} coverage probabilities for {n} values")


@dataclass(frozen=True, slots=True)
class Hybrid:
    """``si:hybrid``: the same quantity in several units (e.g. °C and K)."""

    members: tuple[Real | RealList, ...]

    def __post_init__(self) -> None:
        _need(len(self.members) >= 1, "a si:hybrid needs at least one member")
        kinds = {type(m) for m in self.members}
        _need(len(kinds) == 1, "a si:hybrid holds only si:real or only si:realListXMLList")


LIMIT_KINDS = ("lower", "upper", "limit")
"""How a :class:`Limit` bounds the value: from below, from above, or as a stated limit."""


@dataclass(frozen=True, slots=True)
class Limit:
    """A tolerance or acceptance limit from ``dcc:measurementMetaData/dcc:metaData/dcc:data``.

    ``value`` is one ``si:real`` (the same limit for every point) or a ``si:realListXMLList`` (one
    limit per point); ``kind`` is read from the quantity's ``refType`` (``…Lower``/``…Min`` →
    ``lower``, ``…Upper``/``…Max`` → ``upper``).
    """

    kind: str
    value: Real | RealList
    name: Text | None = None
    ref_type: str | None = None

    def __post_init__(self) -> None:
        _need(self.kind in LIMIT_KINDS, f"limit kind {self.kind!r} is not one of {LIMIT_KINDS}")

    def at(self, index: int) -> tuple[Decimal, str] | None:
        """The limit for point ``index`` (0-based) with its unit, or None past the list's end."""
        if isinstance(self.value, Real):
            return self.value.value, self.value.unit
        values, units = self.value.values, self.value.units
        if not values:
            return None
        i = 0 if len(values) == 1 else index
        if i >= len(values):
            return None
        return values[i], units[0] if len(units) == 1 else units[i]


@dataclass(frozen=True, slots=True)
class Statement:
    """``dcc:statement`` / ``dcc:metaData`` (statementMetaDataType).

    A conformity statement carries ``conformity`` (one of :data:`CONFORMITY_VALUES`), the
    specification in ``norms`` (e.g. the JJG number) and the decision rule used in
    ``decision_rule`` (written to ``dcc:convention``, e.g. "ILAC-G8:09/2019 simple acceptance").
    """

    declaration: Text | None = None
    name: Text | None = None
    ref_type: str | None = None
    traceable: bool | None = None
    norms: tuple[str, ...] = ()
    conformity: str | None = None
    decision_rule: str | None = None
    date: date | None = None
    conformity_list: tuple[str, ...] = ()
    limits: tuple[Limit, ...] = ()

    def __post_init__(self) -> None:
        for value in (self.conformity, *self.conformity_list):
            if value is not None:
                _need(value in CONFORMITY_VALUES, f"conformity {value!r} is not one of {CONFORMITY_VALUES}")
        _need(
            self.conformity is None or not self.conformity_list,
            "a statement has either one conformity or a per-point conformity list, not both",
        )
        _need(
            any(x is not None for x in (self.declaration, self.name, self.traceable, self.conformity))
            or bool(self.norms or self.conformity_list or self.limits),
            "an empty statement",
        )

    def point_conformity(self, index: int) -> str | None:
        """The conformity of point ``index`` (0-based): its own entry of the per-point list, the one
        entry of a single-element list, or the statement's single ``conformity``."""
        if self.conformity_list:
            if len(self.conformity_list) == 1:
                return self.conformity_list[0]
            return self.conformity_list[index] if index < len(self.conformity_list) else None
        return self.conformity


@dataclass(frozen=True, slots=True)
class Quantity:
    """``dcc:quantity``: a named value (real, hybrid or list) with optional conformity metadata."""

    value: Real | Hybrid | RealList
    name: Text | None = None
    ref_type: str | None = None
    id: str | None = None
    ref_id: str | None = None
    conformity: Statement | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "quantity")


@dataclass(frozen=True, slots=True)
class Result:
    """``dcc:result``: a name and data; ``as_list`` groups the quantities in one ``dcc:list`` (a table)."""

    name: Text
    quantities: tuple[Quantity, ...]
    ref_type: str | None = None
    id: str | None = None
    as_list: bool = True

    def __post_init__(self) -> None:
        _need(len(self.quantities) > 0, "a result needs at least one quantity")
        _check_id(self.id, "result")


@dataclass(frozen=True, slots=True)
class Method:
    """``dcc:usedMethod``: a method or procedure with the norms it follows."""

    name: Text
    norms: tuple[str, ...] = ()
    description: Text | None = None
    ref_type: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "method")


@dataclass(frozen=True, slots=True)
class EquipmentCertificate:
    """``dcc:certificate`` (hashType) of a standard: who issued its certificate, its number, its hash.

    This is the digital traceability chain: ``procedure`` names the hash (``SHA-256``) and
    ``value`` is the hash of the standard's own (signed) certificate.
    """

    referral: Text
    referral_id: str
    procedure: str
    value: str
    traceable: bool | None = None

    def __post_init__(self) -> None:
        _need(bool(self.referral_id.strip()), "a referenced certificate needs its number")
        _need(bool(self.value.strip()), "a referenced certificate needs its hash value")


@dataclass(frozen=True, slots=True)
class Identification:
    """``dcc:identification``: serial number, inventory number, order number …"""

    issuer: str
    value: str
    name: Text | None = None

    def __post_init__(self) -> None:
        _need(
            self.issuer in IDENTIFICATION_ISSUERS,
            f"identification issuer {self.issuer!r} is not one of {IDENTIFICATION_ISSUERS}",
        )
        _need(bool(self.value.strip()), "an identification needs a value")


@dataclass(frozen=True, slots=True)
class Equipment:
    """``dcc:measuringEquipment``: a standard or instrument used, with its own certificate."""

    name: Text
    certificate: EquipmentCertificate | None = None
    identifications: tuple[Identification, ...] = ()
    manufacturer: str | None = None
    model: str | None = None
    ref_type: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "equipment")


@dataclass(frozen=True, slots=True)
class InfluenceCondition:
    """``dcc:influenceCondition``: ambient temperature, humidity … with their values."""

    name: Text
    quantities: tuple[Quantity, ...] = ()
    description: Text | None = None
    ref_type: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "influence condition")


@dataclass(frozen=True, slots=True)
class MeasurementResult:
    """``dcc:measurementResult``: methods, equipment, conditions and results of one measurement."""

    name: Text
    results: tuple[Result, ...]
    methods: tuple[Method, ...] = ()
    equipment: tuple[Equipment, ...] = ()
    influence_conditions: tuple[InfluenceCondition, ...] = ()
    description: Text | None = None

    def __post_init__(self) -> None:
        _need(len(self.results) > 0, "a measurement result needs at least one result")


@dataclass(frozen=True, slots=True)
class Location:
    """``dcc:location`` (any of city, countryCode, postCode, street, streetNo, state, further)."""

    city: str | None = None
    country_code: str | None = None
    post_code: str | None = None
    street: str | None = None
    street_no: str | None = None
    state: str | None = None
    further: Text | None = None

    def __post_init__(self) -> None:
        _need(
            any((self.city, self.country_code, self.post_code, self.street, self.state, self.further)),
            "a location needs at least one part",
        )


@dataclass(frozen=True, slots=True)
class Contact:
    """``dcc:contact`` / ``dcc:customer``: a name (multilingual), address and e-mail."""

    name: Text
    location: Location
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Laboratory:
    """``dcc:calibrationLaboratory``: accreditation code (e.g. CNAS L0001) and contact."""

    contact: Contact
    code: str | None = None


@dataclass(frozen=True, slots=True)
class RespPerson:
    """``dcc:respPerson``: who is responsible; ``main_signer`` marks the signer."""

    name: Text
    role: str | None = None
    main_signer: bool = False


@dataclass(frozen=True, slots=True)
class Item:
    """``dcc:item``: the calibrated object with its identifications (serial number …)."""

    name: Text
    identifications: tuple[Identification, ...]
    manufacturer: str | None = None
    model: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        _need(len(self.identifications) > 0, "an item needs at least one identification")
        _check_id(self.id, "item")


@dataclass(frozen=True, slots=True)
class Software:
    """``dcc:software``: the program that wrote the certificate."""

    name: str
    release: str


@dataclass(frozen=True, slots=True)
class CoreData:
    """``dcc:coreData``: number, languages, dates, place."""

    unique_identifier: str
    country_code: str
    used_languages: tuple[str, ...]
    mandatory_languages: tuple[str, ...]
    begin_performance_date: date
    end_performance_date: date
    performance_location: str = "laboratory"
    receipt_date: date | None = None
    issue_date: date | None = None
    identifications: tuple[Identification, ...] = ()

    def __post_init__(self) -> None:
        _need(bool(self.unique_identifier.strip()), "a certificate needs a unique identifier")
        _need(
            bool(re.match(r"^[A-Z]{2}$", self.country_code)),
            f"country code {self.country_code!r} is not ISO 3166-1",
        )
        _need(len(self.used_languages) > 0, "at least one used language")
        for lang in (*self.used_languages, *self.mandatory_languages):
            _need(bool(_LANG.match(lang)), f"language code {lang!r} is not ISO 639-1")
        _need(
            set(self.mandatory_languages) <= set(self.used_languages),
            f"mandatory languages {self.mandatory_languages} are not all used {self.used_languages}",
        )
        _need(
            self.begin_performance_date <= self.end_performance_date,
            f"calibration begins {self.begin_performance_date} after it ends {self.end_performance_date}",
        )
        _need(
            self.performance_location in PERFORMANCE_LOCATIONS,
            f"performance location {self.performance_location!r} unknown",
        )


@dataclass(frozen=True, slots=True)
class Certificate:
    """A digital calibration certificate (``dcc:digitalCalibrationCertificate``)."""

    core: CoreData
    software: Software
    items: tuple[Item, ...]
    laboratory: Laboratory
    resp_persons: tuple[RespPerson, ...]
    customer: Contact
    measurement_results: tuple[MeasurementResult, ...]
    statements: tuple[Statement, ...] = ()
    schema_version: str = "3.3.0"

    def __post_init__(self) -> None:
        _need(len(self.items) > 0, "a certificate needs at least one item")
        _need(len(self.resp_persons) > 0, "a certificate needs at least one responsible person")
        _need(len(self.measurement_results) > 0, "a certificate needs at least one measurement result")

    @property
    def number(self) -> str:
        """The certificate number (``dcc:uniqueIdentifier``)."""
        return self.core.unique_identifier
