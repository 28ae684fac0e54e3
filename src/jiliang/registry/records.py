"""A verification or calibration record with what a certificate or a notice needs, as typed values.

:func:`jiliang.registry.service.record_with_context` builds a :class:`RecordContext`; the DCC and the
notice of failure read its fields, and the API shows :meth:`RecordContext.as_dict`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

__all__ = [
    "InstrumentRef",
    "InstrumentTypeRef",
    "PartyRef",
    "RecordContext",
    "StandardCalibrationRef",
    "StandardUsed",
]


@dataclass(frozen=True, slots=True)
class PartyRef:
    """An organization named on a record: the instrument's owner or the laboratory."""

    id: int
    name: str
    name_en: str | None
    credit_code: str | None
    address: str | None
    accreditation_code: str | None


@dataclass(frozen=True, slots=True)
class InstrumentTypeRef:
    code: str
    name: str
    name_en: str | None
    regulation: str | None
    quantity: str


@dataclass(frozen=True, slots=True)
class InstrumentRef:
    id: int
    serial: str
    model: str | None
    manufacturer: str | None
    accuracy_class: str | None
    measuring_range: str | None
    location: str | None
    use: str | None
    type: InstrumentTypeRef


@dataclass(frozen=True, slots=True)
class StandardCalibrationRef:
    """The standard's own calibration in force on the record's day."""

    certificate_no: str
    calibrated_on: date
    valid_until: date
    uncertainty: float | None


@dataclass(frozen=True, slots=True)
class StandardUsed:
    """A measurement standard used for the record, with its register entry and calibration."""

    id: int
    code: str
    name: str
    name_en: str | None
    level: str
    quantity: str
    range_min: float | None
    range_max: float | None
    unit: str | None
    uncertainty: float | None
    accuracy_class: str | None
    holder_id: int | None
    approval_no: str | None
    approval_valid_until: date | None
    covers: list[str]
    published: bool
    calibration: StandardCalibrationRef | None


@dataclass(frozen=True, slots=True)
class RecordContext:
    """One record: result, errors at each test point ({point, error, mpe, unit, U?, k?}), environment,
    instrument, owner, laboratory and standards."""

    id: int
    kind: str
    verified_on: date
    result: str
    errors: tuple[dict[str, Any], ...]
    certificate_no: str | None
    notice_no: str | None
    next_due_on: date | None
    temperature_c: float | None
    humidity_percent: float | None
    instrument: InstrumentRef
    owner: PartyRef | None
    lab: PartyRef | None
    standards: tuple[StandardUsed, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape the API shows (environment grouped, lists for tuples)."""
        out = asdict(self)
        out["errors"] = list(self.errors)
        out["standards"] = [asdict(s) for s in self.standards]
        out["environment"] = {
            "temperature_c": out.pop("temperature_c"),
            "humidity_percent": out.pop("humidity_percent"),
        }
        return out
