"""Fuel dispensers: per-nozzle reconciliation against the tank gauge, and the dispenser's event log.

The model (statistical inventory reconciliation, SIR, per tank and per reading interval):

.. math::

    V_{20}(j) = a_{k(j)} - \\sum_n (1 + \\delta_n)\\, C_n(j) - \\lambda\\, C(j) - c\\, t(j) + \\varepsilon(j)

- :math:`V_{20}(j)`: the tank gauge's (ATG) gross volume at reading *j* converted to 20 °C with
  the gauge's temperature, :math:`V_{20} = V\\,(1 - \\beta (T - 20))`.
- :math:`C_n(j)`: cumulative volume registered by nozzle *n* (totaliser differences, converted to
  20 °C with the mean tank temperature of each interval); :math:`C = \\sum_n C_n`.
- :math:`\\delta_n = Q_n / S_n - 1`: what the customer receives relative to what the nozzle
  registers. A pulse-equivalent cheat gives :math:`\\delta_n` from −0.5 % to −3 % (the customer is
  short-changed); JJG 443-2023 allows ±0.30 % (MPE), so :math:`|\\delta_n| \\le` MPE is in tolerance.
- :math:`\\lambda`: evaporation and handling loss in proportion to throughput (prior 0.10 % ±
  0.05 %); :math:`c`: a constant loss per hour (a leak; EPA SIR detects 0.2 gal/h ≈ 0.76 L/h).
- :math:`a_k`: one level per segment; a new segment starts at each delivery (the delivered volume
  is then measured by the gauge and compared with the receipt) and at each totaliser that goes
  backwards (a re-initialisation: that interval's sales are unknown).
- :math:`\\varepsilon`: reading noise, independent per reading, with variance
  :math:`\\sigma_g^2 + (\\beta \\bar V u_T)^2` (gauge level repeatability and the temperature
  probe's uncertainty). Working on levels (not interval differences) keeps the noise white.

A uniform :math:`\\delta` on every nozzle of one tank is indistinguishable from
:math:`\\lambda`: only the prior on :math:`\\lambda` separates them, so its uncertainty enters
every :math:`u(\\delta_n)`. The solution is the posterior mean of a Gaussian linear model (flat
prior on the levels, weak priors on :math:`\\delta` and :math:`c`); the covariance is inflated by
the Birge ratio when the residuals are larger than the stated noise.

Decision (JJG 443-2023 MPE, guard band *k·u*); with fewer than ``MIN_DOF`` readings beyond the
nozzles and levels the noise cannot be checked and every nozzle is ``insufficient_data``. Else ``suspected_cheat`` when
:math:`\\hat\\delta + k u < -\\mathrm{MPE}` (with *k* + 1 when *k·u* > MPE: an accusation from
data that cannot resolve the MPE needs a wider guard band); ``out_of_limit`` when :math:`\\hat\\delta - k u >
\\mathrm{MPE}`; ``insufficient_data`` when :math:`k u > \\mathrm{MPE}`; otherwise ``ok``.

References
----------
JJG 443-2023 燃油加油机 (MPE ±0.30 %; 自锁, 软件标识). US EPA 510-B-19-004 / EPA/530/UST-90/007,
statistical inventory reconciliation performance (0.2 gal/h, Pd ≥ 95 %, Pfa ≤ 5 %, 30 days).
API MPMS Ch. 11.1 (thermal expansion; β ≈ 0.0012 /K for gasoline, 0.0008 /K for diesel).

Examples
--------
>>> import numpy as np
>>> from jiliang.meters.dispensers import ReconciliationSettings, analyse_station
>>> from jiliang.meters.dispensersynth import SynthStationConfig, synth_station
>>> st = synth_station(SynthStationConfig(days=10, cheat=True), np.random.default_rng(3))
>>> res = analyse_station(st.data, st.events, ReconciliationSettings(mpe_pct=0.30))
>>> sorted(n.nozzle_id for n in res.nozzles if n.status == "suspected_cheat") == sorted(
...     n for n, d in st.truth_pct.items() if d < -0.5)
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from jiliang.errors import InputError

__all__ = [
    "EVENT_KINDS",
    "STATUSES",
    "DispenserEvent",
    "EventFlag",
    "NozzleResult",
    "NozzleSeries",
    "ReconciliationSettings",
    "StationAnalysis",
    "StationData",
    "TankResult",
    "TankSeries",
    "analyse_station",
    "check_events",
    "reconcile_tank",
]

F = NDArray[np.float64]
STATUSES = ("ok", "suspected_cheat", "out_of_limit", "insufficient_data")
# kinds a dispenser logs; ``verification`` and ``repair`` are the records that explain changes
EVENT_KINDS = (
    "lock",
    "reinit",
    "board_replaced",
    "encoder_replaced",
    "seal_changed",
    "software_id",
    "verification",
    "repair",
)
_CHANGES = ("reinit", "board_replaced", "encoder_replaced", "seal_changed")
_RECORDS = ("verification", "repair")
HOUR = 3600.0
MIN_DOF = 10  # readings beyond the number of nozzles and levels: fewer, and the noise is not checked
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class ReconciliationSettings:
    """Parameters of the reconciliation model (see the module docstring)."""

    mpe_pct: float
    k: float = 2.0
    gauge_sd_l: float = 5.0
    temp_sd_k: float = 0.1
    beta_per_k: float = 0.0012
    evap_prior_pct: float = 0.10
    u_evap_pct: float = 0.05
    delta_prior_sd_pct: float = 5.0
    leak_prior_sd_lph: float = 5.0
    ref_temp_c: float = 20.0
    record_window_days: float = 3.0

    def __post_init__(self) -> None:
        for name in ("mpe_pct", "k", "gauge_sd_l", "u_evap_pct", "delta_prior_sd_pct", "leak_prior_sd_lph"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be a positive number, got {v!r}")
        for name in ("temp_sd_k", "beta_per_k", "record_window_days"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be ≥ 0, got {v!r}")


@dataclass(frozen=True, slots=True, eq=False)
class TankSeries:
    """One tank's gauge readings: time (epoch s), gross volume (L), temperature (°C), and the
    delivered volume on the receipt for a delivery made since the previous reading (else 0)."""

    tank_id: str
    ts: F
    volume_l: F
    temperature_c: F
    delivery_l: F

    def __post_init__(self) -> None:
        n = len(self.ts)
        for name in ("volume_l", "temperature_c", "delivery_l"):
            if len(getattr(self, name)) != n:
                raise InputError(f"tank {self.tank_id}: {name} has {len(getattr(self, name))} values, ts {n}")
        if n and not np.all(np.diff(self.ts) > 0):
            raise InputError(f"tank {self.tank_id}: reading times must increase")
        if not (np.all(np.isfinite(self.volume_l)) and np.all(self.volume_l >= 0)):
            raise InputError(f"tank {self.tank_id}: volumes must be finite and ≥ 0")
        if not np.all(np.isfinite(self.temperature_c)) or np.any(np.abs(self.temperature_c) > 80):
            raise InputError(f"tank {self.tank_id}: temperatures must be finite, within ±80 °C")
        if not (np.all(np.isfinite(self.delivery_l)) and np.all(self.delivery_l >= 0)):
            raise InputError(f"tank {self.tank_id}: deliveries must be finite and ≥ 0")


@dataclass(frozen=True, slots=True, eq=False)
class NozzleSeries:
    """One nozzle's electronic totaliser (L) read at its tank's reading times."""

    nozzle_id: str
    dispenser_id: str
    tank_id: str
    totaliser_l: F

    def __post_init__(self) -> None:
        if not np.all(np.isfinite(self.totaliser_l)):
            raise InputError(f"nozzle {self.nozzle_id}: totaliser readings must be finite")


@dataclass(frozen=True, slots=True)
class StationData:
    """A station's tanks and nozzles (each nozzle read at its tank's times)."""

    station_id: str
    tanks: tuple[TankSeries, ...]
    nozzles: tuple[NozzleSeries, ...]

    def __post_init__(self) -> None:
        tanks = {t.tank_id: t for t in self.tanks}
        if len(tanks) != len(self.tanks):
            raise InputError(f"station {self.station_id}: a tank is given twice")
        seen: set[str] = set()
        for nz in self.nozzles:
            if nz.nozzle_id in seen:
                raise InputError(f"station {self.station_id}: nozzle {nz.nozzle_id} is given twice")
            seen.add(nz.nozzle_id)
            tank = tanks.get(nz.tank_id)
            if tank is None:
                raise InputError(f"nozzle {nz.nozzle_id}: unknown tank {nz.tank_id}")
            if len(nz.totaliser_l) != len(tank.ts):
                raise InputError(
                    f"nozzle {nz.nozzle_id}: {len(nz.totaliser_l)} readings, tank has {len(tank.ts)}"
                )


@dataclass(frozen=True, slots=True)
class DispenserEvent:
    """One entry of a dispenser's own log, or a verification / repair record (``detail``: seal
    number, software identification, certificate number …)."""

    dispenser_id: str
    ts: float
    kind: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise InputError(f"unknown event kind {self.kind!r} (expected one of {', '.join(EVENT_KINDS)})")
        if not math.isfinite(self.ts):
            raise InputError(f"event time must be finite, got {self.ts!r}")


@dataclass(frozen=True, slots=True)
class NozzleResult:
    """δ̂ (%) with its standard uncertainty u (%), z = δ̂/u, the volume it accounts for, status."""

    nozzle_id: str
    dispenser_id: str
    tank_id: str
    delta_pct: float
    u_pct: float
    sold_l: float
    residual_l: float
    status: str


@dataclass(frozen=True, slots=True)
class TankResult:
    """λ̂ (%), ĉ (L/h), residual RMS s (L), Birge ratio, deliveries gauge − receipt (L), and the
    balance residual series for a chart (time, litres), at most ``max_points`` points."""

    tank_id: str
    evap_pct: float
    u_evap_pct: float
    leak_lph: float
    u_leak_lph: float
    rms_l: float
    birge: float
    readings: int
    segments: int
    delivery_variance_l: tuple[float, ...]
    chart_ts: tuple[float, ...] = ()
    chart_residual_l: tuple[float, ...] = ()
    partial: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventFlag:
    """An event the records do not explain; ``kind`` is the rule, ``evidence`` says what was seen."""

    dispenser_id: str
    ts: float
    kind: str
    evidence: str


@dataclass(frozen=True, slots=True)
class StationAnalysis:
    station_id: str
    tanks: tuple[TankResult, ...]
    nozzles: tuple[NozzleResult, ...]
    flags: tuple[EventFlag, ...]

    @property
    def flagged_dispensers(self) -> tuple[str, ...]:
        """Dispensers with a suspected-cheat nozzle or an unexplained event, sorted."""
        ids = {n.dispenser_id for n in self.nozzles if n.status == "suspected_cheat"}
        ids |= {f.dispenser_id for f in self.flags}
        return tuple(sorted(ids))


def _status(d: float, u: float, s: ReconciliationSettings) -> str:
    # when the data cannot resolve the MPE (k·u > MPE) an accusation needs k + 1: with u ≫ MPE the
    # one-sided 2.3 % false-alarm rate per nozzle of k = 2 would flag a quarter of honest stations
    k = s.k if s.k * u <= s.mpe_pct else s.k + 1.0
    if d + k * u < -s.mpe_pct:
        return "suspected_cheat"
    if d - s.k * u > s.mpe_pct:
        return "out_of_limit"
    if s.k * u > s.mpe_pct:
        return "insufficient_data"
    return "ok"


def _to20(v: F, t: F, s: ReconciliationSettings) -> F:
    return v * (1.0 - s.beta_per_k * (t - s.ref_temp_c))


def _sales(tank: TankSeries, nozzles: Sequence[NozzleSeries], s: ReconciliationSettings) -> tuple[F, F]:
    """Per-interval net sales (nozzle × interval) and a mask of intervals with a totaliser reset."""
    raw = np.diff(np.vstack([nz.totaliser_l for nz in nozzles]), axis=1)
    reset = np.any(raw < 0, axis=0)
    raw = np.where(raw < 0, 0.0, raw)
    t_mid = 0.5 * (tank.temperature_c[1:] + tank.temperature_c[:-1])
    return raw * (1.0 - s.beta_per_k * (t_mid - s.ref_temp_c)), reset.astype(np.float64)


def _design(
    tank: TankSeries, sales: F, reset: F, s: ReconciliationSettings
) -> tuple[F, F, F, F, NDArray[np.int64]]:
    """y, X (columns: −C_n…, −C, −t, segment levels), prior mean, prior precision, segment of each reading."""
    n_noz, m = sales.shape[0], len(tank.ts)
    cum = np.zeros((n_noz, m))
    cum[:, 1:] = np.cumsum(sales, axis=1)
    total = cum.sum(axis=0)
    y = _to20(tank.volume_l, tank.temperature_c, s) + total
    brk = np.concatenate([[0.0], (tank.delivery_l[1:] > 0) | (reset > 0)]).astype(bool)
    seg = np.cumsum(brk).astype(np.int64)
    n_seg = int(seg[-1]) + 1
    hours = (tank.ts - tank.ts[0]) / HOUR
    levels = np.zeros((m, n_seg))
    levels[np.arange(m), seg] = 1.0
    x = np.hstack([-cum.T, -total[:, None], -hours[:, None], levels])
    mean = np.zeros(x.shape[1])
    mean[n_noz] = s.evap_prior_pct / 100.0
    prec = np.zeros(x.shape[1])
    prec[:n_noz] = (100.0 / s.delta_prior_sd_pct) ** 2
    prec[n_noz] = (100.0 / s.u_evap_pct) ** 2
    prec[n_noz + 1] = 1.0 / s.leak_prior_sd_lph**2
    return y, x, mean, prec, seg


def reconcile_tank(
    tank: TankSeries,
    nozzles: Sequence[NozzleSeries],
    settings: ReconciliationSettings,
    max_points: int = 200,
) -> tuple[TankResult, list[NozzleResult]]:
    """Fit the reconciliation model of one tank (module docstring) and decide each nozzle.

    References
    ----------
    JJG 443-2023 (MPE); EPA SIR performance standard; API MPMS 11.1 (β).
    """
    s = settings
    if len(tank.ts) < 3 or not nozzles:
        raise InputError(f"tank {tank.tank_id}: needs at least 3 readings and one nozzle")
    sales, reset = _sales(tank, nozzles, s)
    y, x, mean, prec, seg = _design(tank, sales, reset, s)
    sigma = math.hypot(s.gauge_sd_l, s.beta_per_k * float(np.mean(tank.volume_l)) * s.temp_sd_k)
    a = np.vstack([x / sigma, np.diag(np.sqrt(prec))[prec > 0]])
    b = np.concatenate([y / sigma, (np.sqrt(prec) * mean)[prec > 0]])
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    cov = np.linalg.pinv(a.T @ a)
    resid = y - x @ coef
    dof = max(len(y) - (x.shape[1] - 2), 1)
    birge = max(1.0, float(np.sqrt(np.sum(resid**2) / dof)) / sigma)
    cov *= birge**2
    n_noz = len(nozzles)
    u = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    sold = sales.sum(axis=1)
    results = [
        NozzleResult(
            nozzle_id=nz.nozzle_id,
            dispenser_id=nz.dispenser_id,
            tank_id=tank.tank_id,
            delta_pct=100.0 * float(coef[i]),
            u_pct=100.0 * float(u[i]),
            sold_l=float(sold[i]),
            residual_l=float(coef[i] * sold[i]),
            status=_status(100.0 * float(coef[i]), 100.0 * float(u[i]), s)
            if dof >= MIN_DOF
            else "insufficient_data",
        )
        for i, nz in enumerate(nozzles)
    ]
    levels = coef[n_noz + 2 :]
    receipts = [float(tank.delivery_l[j]) for j in range(1, len(tank.ts)) if seg[j] != seg[j - 1]]
    variance = tuple(float(levels[k + 1] - levels[k]) - r for k, r in enumerate(receipts) if r > 0)
    idx = np.unique(np.linspace(0, len(y) - 1, min(max_points, len(y))).astype(int))
    partial = {
        nz.nozzle_id: (
            tuple(float(v) for v in -x[idx, i]),
            tuple(float(v) for v in resid[idx] + x[idx, i] * coef[i]),
        )
        for i, nz in enumerate(nozzles)
    }
    tank_result = TankResult(
        tank_id=tank.tank_id,
        evap_pct=100.0 * float(coef[n_noz]),
        u_evap_pct=100.0 * float(u[n_noz]),
        leak_lph=float(coef[n_noz + 1]),
        u_leak_lph=float(u[n_noz + 1]),
        rms_l=float(np.sqrt(np.mean(resid**2))),
        birge=birge,
        readings=len(y),
        segments=int(seg[-1]) + 1,
        delivery_variance_l=variance,
        chart_ts=tuple(float(tank.ts[i]) for i in idx),
        chart_residual_l=tuple(float(resid[i]) for i in idx),
        partial=partial,
    )
    return tank_result, results


def _explained(ev: DispenserEvent, records: Sequence[DispenserEvent], window: float) -> bool:
    return any(r.dispenser_id == ev.dispenser_id and abs(r.ts - ev.ts) <= window for r in records)


def check_events(
    events: Sequence[DispenserEvent],
    window_days: float = 3.0,
    approved_software: frozenset[str] | None = None,
    lock_limit: int = 3,
) -> list[EventFlag]:
    """Flag what a dispenser's log shows and no verification or repair record explains.

    Rules: ``unexplained_change`` (re-initialisation, main board or encoder replaced, seal
    changed with no verification/repair record on the same dispenser within ``window_days``);
    ``lock_then_change`` (the same, within a day after a self-lock: the encoder's cross-check
    locked the dispenser and someone re-initialised it); ``unapproved_software`` (a software
    identification not in the approved set); ``frequent_locks`` (``lock_limit`` or more locks).

    References
    ----------
    JJG 443-2023 (自锁, 软件标识); notes/supervision.md §9 (encrypted encoder, lock/reset logs).

    Examples
    --------
    >>> evs = [DispenserEvent("D1", 0.0, "lock"), DispenserEvent("D1", 3600.0, "reinit"),
    ...        DispenserEvent("D2", 0.0, "reinit"), DispenserEvent("D2", 7200.0, "repair", "R-7")]
    >>> [(f.dispenser_id, f.kind) for f in check_events(evs)]
    [('D1', 'lock_then_change')]
    """
    window = window_days * DAY
    records = [e for e in events if e.kind in _RECORDS]
    flags: list[EventFlag] = []
    locks: dict[str, list[float]] = {}
    for ev in sorted(events, key=lambda e: (e.ts, e.dispenser_id, e.kind)):
        if ev.kind == "lock":
            locks.setdefault(ev.dispenser_id, []).append(ev.ts)
        elif ev.kind in _CHANGES and not _explained(ev, records, window):
            after_lock = any(0 <= ev.ts - t <= DAY for t in locks.get(ev.dispenser_id, ()))
            kind = "lock_then_change" if after_lock else "unexplained_change"
            what = f"{ev.kind}{' ' + ev.detail if ev.detail else ''}"
            flags.append(EventFlag(ev.dispenser_id, ev.ts, kind, f"{what}: no verification or repair record"))
        elif (
            ev.kind == "software_id" and approved_software is not None and ev.detail not in approved_software
        ):
            flags.append(EventFlag(ev.dispenser_id, ev.ts, "unapproved_software", ev.detail))
    for disp, times in sorted(locks.items()):
        if len(times) >= lock_limit:
            flags.append(EventFlag(disp, times[-1], "frequent_locks", f"{len(times)} self-locks"))
    return flags


def _reset_events(data: StationData) -> list[DispenserEvent]:
    """A totaliser that goes backwards is a re-initialisation, logged or not."""
    out: list[DispenserEvent] = []
    ts = {t.tank_id: t.ts for t in data.tanks}
    for nz in data.nozzles:
        back = np.nonzero(np.diff(nz.totaliser_l) < 0)[0]
        out.extend(
            DispenserEvent(
                nz.dispenser_id, float(ts[nz.tank_id][j + 1]), "reinit", f"totaliser {nz.nozzle_id} went back"
            )
            for j in back
        )
    return out


def analyse_station(
    data: StationData,
    events: Sequence[DispenserEvent],
    settings: ReconciliationSettings,
    approved_software: frozenset[str] | None = None,
) -> StationAnalysis:
    """Reconcile every tank, decide every nozzle, and check the event log (plus totaliser resets)."""
    tanks: list[TankResult] = []
    nozzles: list[NozzleResult] = []
    for tank in data.tanks:
        members = [nz for nz in data.nozzles if nz.tank_id == tank.tank_id]
        if not members:
            continue
        t, ns = reconcile_tank(tank, members, settings)
        tanks.append(t)
        nozzles.extend(ns)
    logged = {(e.dispenser_id, e.kind) for e in events if e.kind == "reinit"}
    extra = [e for e in _reset_events(data) if (e.dispenser_id, "reinit") not in logged]
    flags = check_events([*events, *extra], settings.record_window_days, approved_software)
    return StationAnalysis(data.station_id, tuple(tanks), tuple(nozzles), tuple(flags))
