"""Domain types of remote meter supervision: meters, settings, per-meter and per-area results.

Symbols follow JJF(冀)174-2020 and the energy-balance literature: for a transformer area (台区)
and period t, ``y0(t) = Σ θ_i·y_i(t) + L_fixed + L_var(t) + ε(t)`` with ``θ_i = 1/(1+e_i)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from jiliang.errors import InputError

__all__ = [
    "DEFAULT_LIMITS_PCT",
    "AreaSummary",
    "EstimationSettings",
    "MeterError",
    "MeterResult",
    "MeterSpec",
    "Role",
    "Status",
]


class MeterError(InputError):
    """Meter data or settings are malformed; the message names the offending value."""

    code = "invalid_meter_data"


class Role(StrEnum):
    MASTER = "master"
    USER = "user"


class Status(StrEnum):
    """Per-meter outcome. ``suspect`` and ``out_of_limit`` follow :mod:`jiliang.meters.decision`."""

    OK = "ok"
    OUT_OF_LIMIT = "out_of_limit"
    SUSPECT = "suspect"
    INSUFFICIENT_DATA = "insufficient_data"
    EXCLUDED_LIGHT_LOAD = "excluded_light_load"
    FAILED_RUNAWAY = "failed_runaway"
    FAILED_BACKWARDS = "failed_backwards"
    FAILED_STOPPED = "failed_stopped"
    SUSPECTED_THEFT = "suspected_theft"


# Operating-error limits (percent) by accuracy class: JJF(冀)174-2020 gives ±1.75 % for class 1
# and ±3.5 % for class 2; the others scale the same way (1.75 × class index) and are settings.
DEFAULT_LIMITS_PCT: MappingProxyType[str, float] = MappingProxyType(
    {"0.2S": 0.35, "0.5S": 0.875, "1": 1.75, "2": 3.5}
)

_CLASSES = frozenset({"0.2S", "0.5S", "1", "2", "0.2", "0.5", "A", "B", "C", "D"})


@dataclass(frozen=True, slots=True)
class MeterSpec:
    """One meter of the ``meters`` file: ``imax_a`` (A) and ``un_v`` (V) feed the runaway rule."""

    meter_id: str
    area_id: str
    role: Role
    accuracy_class: str
    imax_a: float
    un_v: float
    installed_on: date | None = None
    phase: str | None = None

    def __post_init__(self) -> None:
        if not self.meter_id or len(self.meter_id) > 64:
            raise MeterError(f"meter_id must be 1–64 characters, got {self.meter_id!r}")
        if not self.area_id or len(self.area_id) > 64:
            raise MeterError(
                f"area_id of meter {self.meter_id} must be 1–64 characters, got {self.area_id!r}"
            )
        if not isinstance(self.role, Role):
            try:
                object.__setattr__(self, "role", Role(str(self.role).strip().lower()))
            except ValueError:
                raise MeterError(
                    f"role of meter {self.meter_id} must be master or user, got {self.role!r}"
                ) from None
        if self.accuracy_class not in _CLASSES:
            raise MeterError(f"accuracy_class of meter {self.meter_id} is unknown: {self.accuracy_class!r}")
        for name in ("imax_a", "un_v"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value < 1e6):
                raise MeterError(f"{name} of meter {self.meter_id} must be a positive number, got {value!r}")

    @property
    def runaway_kwh_per_day(self) -> float:
        """JJF(冀)174-2020: runaway when the daily energy exceeds Imax·Un·24 h."""
        return self.imax_a * self.un_v * 24.0 / 1000.0


@dataclass(frozen=True, slots=True)
class EstimationSettings:
    """Every tunable of the estimation, with the source of its default.

    ``interval_s``: nominal read interval (s); ``None`` infers it from the master meter's reads.
    ``skew_tolerance_s``: a read within this of a grid point is taken as that point's read (clock
    skew); beyond, it is dropped and counted. ``prior_sd_pct``: standard deviation of the prior on
    ``θ_i − 1`` (ridge toward θ = 1, CN112180316B); ``guard_k``: guard band ``w = k·u`` (JCGM 106
    §8, w = U with k = 2 gives 2.3 % specific risk at the limit). ``min_collection``: collection
    success (JJF(冀)174, JJF(滇)21: ≥ 99 %). ``min_periods``: JJF(滇)21-2022: ≥ 300 data groups.
    ``light_load_kwh_per_day``: below this mean daily energy a meter is not estimable.
    ``stopped_current_a``: JJF(冀)174 stopped rule (register unchanged while I > 0.1 A);
    ``stopped_min_intervals``: how many consecutive intervals make it a failure, not a glitch.
    ``resolution_kwh``: register resolution, tolerance of the backwards rule.
    ``outlier_z``: standardised residual beyond which a period is trimmed (Cao et al.).
    ``max_u_fraction``: an estimate whose u exceeds this fraction of its limit cannot be decided.
    ``gls``: refit with the neighbour correlation that the register resolution puts between
    periods (generalised least squares, on by default: with the I²R loss of merged periods modelled,
    the register rounding is the dominant noise and its stated u is honest; ``False`` keeps the
    weighted least squares alone).
    ``fit_light_load``: light-load meters keep a column under the prior (a thief registering
    almost nothing is absorbed, not left in the residual) but get no estimate; ``False`` fixes
    their θ at 1. ``max_iterations``: of the reweighted ridge fit.
    ``model_stopped``: a stopped meter's window is modelled by the energy of its current (free
    coefficient) instead of dropping every period that touches it.
    ``theft_alpha``: significance of the regime tests (time of day, load, date) per meter and
    test (:mod:`jiliang.meters.theft`); ``theft_max_per_area``: at most this many meters of an
    area are modelled per regime; ``theft_min_under_pct``: a regime must register at least this
    much less than another, and at most ``100 − this`` % of the energy, for ``suspected_theft``.
    ``flag_probability``: inside the guard band a meter is ``suspect`` only when the posterior
    probability that its error is beyond the limit reaches this (½: the Bayes decision for equal
    losses); below it, a conditional pass is ``ok`` (:func:`jiliang.meters.decision.judge`).
    ``clock_offsets``: estimate each estimable meter's clock offset from the master's (one more
    unknown per meter, regressor from its own reads, :mod:`jiliang.meters.skew`) and, when the
    offsets improve the balance with an F test at ``clock_offset_alpha``, move the meters'
    energies to the master's clock before the fit (offsets go to the evidence); otherwise, and
    with ``False``, the energies are used as read.
    """

    interval_s: int | None = None
    skew_tolerance_s: float | None = None
    limits_pct: Mapping[str, float] = field(default_factory=lambda: DEFAULT_LIMITS_PCT)
    prior_sd_pct: float = 1.0
    guard_k: float = 2.0
    min_collection: float = 0.99
    min_periods: int = 300
    light_load_kwh_per_day: float = 0.5
    stopped_current_a: float = 0.1
    stopped_min_intervals: int = 4
    resolution_kwh: float = 0.001
    outlier_z: float = 5.0
    max_u_fraction: float = 0.5
    min_meter_collection_for_balance: float = 0.5
    collection_required_per_meter: bool = False
    gls: bool = True
    max_iterations: int = 8
    fit_light_load: bool = True
    model_stopped: bool = True
    theft_alpha: float = 1e-6
    theft_max_per_area: int = 5
    theft_min_under_pct: float = 10.0
    flag_probability: float = 0.5
    clock_offsets: bool = True
    clock_offset_alpha: float = 1e-6

    def __post_init__(self) -> None:
        if not isinstance(self.limits_pct, MappingProxyType):
            object.__setattr__(self, "limits_pct", MappingProxyType(dict(self.limits_pct)))
        if self.interval_s is not None and not (1 <= self.interval_s <= 86400):
            raise MeterError(f"interval_s must be within 1..86400 s, got {self.interval_s!r}")
        if self.skew_tolerance_s is not None and not (0 <= self.skew_tolerance_s):
            raise MeterError(f"skew_tolerance_s must be ≥ 0, got {self.skew_tolerance_s!r}")
        positive = (
            "prior_sd_pct",
            "resolution_kwh",
            "outlier_z",
            "max_u_fraction",
            "stopped_current_a",
            "theft_alpha",
            "theft_min_under_pct",
            "clock_offset_alpha",
        )
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise MeterError(f"{name} must be a positive number, got {value!r}")
        if not (math.isfinite(self.guard_k) and self.guard_k >= 0):
            raise MeterError(f"guard_k must be ≥ 0, got {self.guard_k!r}")
        for name in ("min_collection", "min_meter_collection_for_balance"):
            value = getattr(self, name)
            if not (0 <= value <= 1):
                raise MeterError(f"{name} must be within 0..1, got {value!r}")
        if not (
            self.theft_alpha < 1 and 0 <= self.theft_max_per_area <= 100 and self.theft_min_under_pct < 100
        ):
            raise MeterError(
                "theft_alpha must be < 1, theft_max_per_area within 0..100, theft_min_under_pct < 100"
            )
        if not (0.0 < self.flag_probability < 1.0):
            raise MeterError(f"flag_probability must be within (0, 1), got {self.flag_probability!r}")
        if self.min_periods < 0 or self.stopped_min_intervals < 1:
            raise MeterError("min_periods must be ≥ 0 and stopped_min_intervals ≥ 1")
        if self.light_load_kwh_per_day < 0:
            raise MeterError(f"light_load_kwh_per_day must be ≥ 0, got {self.light_load_kwh_per_day!r}")
        for cls, limit in self.limits_pct.items():
            if not (math.isfinite(limit) and limit > 0):
                raise MeterError(f"limit of class {cls} must be a positive percentage, got {limit!r}")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # mappingproxy does not pickle: rebuild from a plain dict (process pools, Spark)
        from dataclasses import fields as _fields

        values = [getattr(self, f.name) for f in _fields(self)]
        values = [dict(v) if isinstance(v, MappingProxyType) else v for v in values]
        return (EstimationSettings, tuple(values))

    def limit_for(self, accuracy_class: str) -> float:
        try:
            return float(self.limits_pct[accuracy_class])
        except KeyError:
            raise MeterError(
                f"no operating-error limit configured for accuracy class {accuracy_class!r}"
            ) from None


@dataclass(frozen=True, slots=True)
class MeterResult:
    """One row of the output: ``error_pct`` = 100·e_i, ``u_error_pct`` its standard uncertainty."""

    meter_id: str
    area_id: str
    error_pct: float | None
    u_error_pct: float | None
    status: Status
    limit_pct: float | None
    evidence: dict[str, Any]

    def as_row(self) -> dict[str, Any]:
        import json

        return {
            "meter_id": self.meter_id,
            "area_id": self.area_id,
            "error_pct": self.error_pct,
            "u_error_pct": self.u_error_pct,
            "status": self.status.value,
            "limit_pct": self.limit_pct,
            "evidence": json.dumps(self.evidence, ensure_ascii=False, sort_keys=True),
        }


@dataclass(frozen=True, slots=True)
class AreaSummary:
    """Per-area figures: ``loss_rate_pct`` = (Σy0 − Σy_i)/Σy0 over the fitted periods; fit quality
    as ``residual_rms_pct`` (weighted residual RMS relative to the mean master energy per period)."""

    area_id: str
    master_id: str | None
    meters: int
    meters_estimated: int
    periods_total: int
    periods_used: int
    collection_rate: float
    loss_rate_pct: float | None
    fixed_loss_kw: float | None
    variable_loss_coeff: float | None
    residual_rms_pct: float | None
    status: str
    message: str = ""

    def as_row(self) -> dict[str, Any]:
        return {
            "area_id": self.area_id,
            "master_id": self.master_id,
            "meters": self.meters,
            "meters_estimated": self.meters_estimated,
            "periods_total": self.periods_total,
            "periods_used": self.periods_used,
            "collection_rate": self.collection_rate,
            "loss_rate_pct": self.loss_rate_pct,
            "fixed_loss_kw": self.fixed_loss_kw,
            "variable_loss_coeff": self.variable_loss_coeff,
            "residual_rms_pct": self.residual_rms_pct,
            "status": self.status,
            "message": self.message,
        }
