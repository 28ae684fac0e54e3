"""EV chargers: session energy against the upstream meter and against the vehicle's own energy.

**Upstream balance** (the transformer-area balance with the chargers as sub-meters), per window
*w* of ``window_days`` and interval *t*:

.. math::  E_0(t) = \\sum_i \\theta_i E_i(t) + p_0 \\Delta t + \\varepsilon(t), \\qquad
           \\theta_i = 1/(1 + e_i)

:math:`E_0`: the upstream (site) meter, class 0.5S; :math:`E_i`: energy registered by charger *i*;
:math:`p_0`: the site's own consumption (standby, cooling, lights) in kW. Weighted least squares with
the noise :math:`\\sigma^2 = (r_0 E_0)^2 + q^2/6` (relative noise of the upstream meter and the
0.001 kWh register step of both ends, a uniform rounding at each of two readings), inflated by the
Birge ratio. A small solver of its own rather than the area estimator: chargers are idle in most
intervals, and the estimator's light-load exclusion would drop them.

**Vehicle side** (GB/T 27930 BMS energy, or the maker's API): per session
:math:`\\rho = E_\\mathrm{vehicle} / E_\\mathrm{charger} = (1 - \\ell)/(1 + e_i)` with losses ℓ of
1–5 % that differ by vehicle. Charger *i* is compared with its peers at the same site:
:math:`\\hat e_i^{\\,v} = \\exp(\\tilde m - m_i) - 1` with :math:`m_i` the median of
:math:`\\ln\\rho` over its sessions and :math:`\\tilde m` the median over the other chargers;
:math:`u` from the median's asymptotic variance (1.2533 · 1.4826 · MAD / √n). A drift common to
every charger of a site is invisible here: only the upstream balance sees it.

**Decision** (class limit *L* of JJG 1148-2022 / JJG 1149-2022), by the more precise of the two
sources (the last window's balance error or the vehicle-side error, whichever has the smaller *u*;
the other is kept as evidence): ``drift`` when it is beyond *L* with the guard band *k·u*;
``insufficient_data`` when *k·u* > *L*; else ``ok``. The per-window series and its
slope (%/30 d) are kept as evidence.

References
----------
JJG 1148-2022 电动汽车交流充电桩, JJG 1149-2022 电动汽车非车载充电机 (class limits, 0.001 kWh);
GB/T 27930 (BMS messages); JJF(冀)174-2020 (the area balance); notes/meters.md §4.

Examples
--------
>>> import numpy as np
>>> from jiliang.meters.chargersynth import ChargerSiteConfig, synth_charger_site
>>> site = synth_charger_site(ChargerSiteConfig(days=28, drift=True), np.random.default_rng(1))
>>> res = analyse_chargers(site.data, site.sessions, ChargerSettings(limit_pct=1.0))
>>> [c.charger_id for c in res if c.status == "drift"] == [site.drifting]
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jiliang.errors import InputError

__all__ = [
    "CHARGER_STATUSES",
    "ChargerResult",
    "ChargerSettings",
    "ChargerSite",
    "Session",
    "WindowEstimate",
    "analyse_chargers",
    "balance_window",
    "vehicle_side",
]

F = NDArray[np.float64]
CHARGER_STATUSES = ("ok", "drift", "insufficient_data")
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class ChargerSettings:
    limit_pct: float
    k: float = 2.0
    window_days: float = 7.0
    upstream_rel_sd: float = 0.0005
    step_kwh: float = 0.001
    min_sessions: int = 10

    def __post_init__(self) -> None:
        for name in ("limit_pct", "k", "window_days", "upstream_rel_sd", "step_kwh"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be a positive number, got {v!r}")
        if self.min_sessions < 2:
            raise InputError("min_sessions must be at least 2")


@dataclass(frozen=True, slots=True, eq=False)
class ChargerSite:
    """Register readings (kWh) at common times (epoch s): the upstream meter and each charger."""

    site_id: str
    ts: F
    upstream_kwh: F
    charger_ids: tuple[str, ...]
    charger_kwh: F  # chargers × readings

    def __post_init__(self) -> None:
        m = len(self.ts)
        if m < 3 or not np.all(np.diff(self.ts) > 0):
            raise InputError(f"site {self.site_id}: needs ≥ 3 increasing reading times")
        if self.upstream_kwh.shape != (m,) or self.charger_kwh.shape != (len(self.charger_ids), m):
            raise InputError(f"site {self.site_id}: register arrays do not match the reading times")
        if len(set(self.charger_ids)) != len(self.charger_ids) or not self.charger_ids:
            raise InputError(f"site {self.site_id}: charger ids must be given once each")
        for name, arr in (("upstream", self.upstream_kwh), ("charger", self.charger_kwh)):
            if not np.all(np.isfinite(arr)) or np.any(np.diff(arr, axis=-1) < 0):
                raise InputError(f"site {self.site_id}: {name} registers must be finite and never go back")


@dataclass(frozen=True, slots=True)
class Session:
    """One charging session: energy on the charger and, where given, on the vehicle (kWh)."""

    charger_id: str
    start_ts: float
    energy_kwh: float
    vehicle_kwh: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.energy_kwh) and 0 < self.energy_kwh < 2000):
            raise InputError(f"session energy must be in (0, 2000) kWh, got {self.energy_kwh!r}")
        if self.vehicle_kwh is not None and not (
            math.isfinite(self.vehicle_kwh) and 0 < self.vehicle_kwh < 2000
        ):
            raise InputError(f"vehicle energy must be in (0, 2000) kWh, got {self.vehicle_kwh!r}")


@dataclass(frozen=True, slots=True)
class WindowEstimate:
    start_ts: float
    e_pct: tuple[float, ...]
    u_pct: tuple[float, ...]
    p0_kw: float
    birge: float


@dataclass(frozen=True, slots=True)
class ChargerResult:
    """Balance error e (%) and u of the last window, its slope (%/30 d), the vehicle-side error
    and u (%, None without vehicle data), sessions counted, and the status."""

    charger_id: str
    e_pct: float | None
    u_pct: float | None
    slope_pct_per_30d: float | None
    vehicle_e_pct: float | None
    vehicle_u_pct: float | None
    sessions: int
    status: str
    series: tuple[tuple[float, float, float], ...]  # (window start, e %, u %)


def balance_window(site: ChargerSite, lo: int, hi: int, s: ChargerSettings) -> WindowEstimate | None:
    """Least squares of the upstream balance over readings ``lo..hi`` (None if not solvable)."""
    e0 = np.diff(site.upstream_kwh[lo : hi + 1])
    ei = np.diff(site.charger_kwh[:, lo : hi + 1], axis=1)
    dt_h = np.diff(site.ts[lo : hi + 1]) / 3600.0
    if len(e0) < ei.shape[0] + 3:
        return None
    x = np.hstack([ei.T, dt_h[:, None]])
    active = ei.sum(axis=1) > 0
    if not np.all(active):
        return None
    sigma = np.sqrt((s.upstream_rel_sd * e0) ** 2 + s.step_kwh**2 / 3.0 + 1e-12)
    coef, *_ = np.linalg.lstsq(x / sigma[:, None], e0 / sigma, rcond=None)
    resid = (e0 - x @ coef) / sigma
    dof = max(len(e0) - x.shape[1], 1)
    birge = max(1.0, float(np.sqrt(np.sum(resid**2) / dof)))
    cov = np.linalg.pinv((x / sigma[:, None]).T @ (x / sigma[:, None])) * birge**2
    theta = coef[:-1]
    if np.any(theta <= 0):
        return None
    e = 1.0 / theta - 1.0
    u = np.sqrt(np.clip(np.diag(cov)[:-1], 0, None)) / theta**2
    return WindowEstimate(
        float(site.ts[lo]),
        tuple(float(v) for v in 100 * e),
        tuple(float(v) for v in 100 * u),
        float(coef[-1]),
        birge,
    )


def vehicle_side(
    sessions: Sequence[Session], charger_ids: Sequence[str], min_sessions: int
) -> dict[str, tuple[float, float, int]]:
    """Each charger's error against its peers from vehicle energy: (e %, u %, sessions)."""
    logs: dict[str, list[float]] = {c: [] for c in charger_ids}
    for ses in sessions:
        if ses.vehicle_kwh is not None and ses.charger_id in logs:
            logs[ses.charger_id].append(math.log(ses.vehicle_kwh / ses.energy_kwh))
    out: dict[str, tuple[float, float, int]] = {}
    for cid, vals in logs.items():
        others = [v for o, vs in logs.items() if o != cid for v in vs]
        if len(vals) < min_sessions or len(others) < min_sessions:
            continue
        a, b = np.asarray(vals), np.asarray(others)
        med_a, med_b = float(np.median(a)), float(np.median(b))
        u_a = 1.2533 * 1.4826 * float(np.median(np.abs(a - med_a))) / math.sqrt(len(a))
        u_b = 1.2533 * 1.4826 * float(np.median(np.abs(b - med_b))) / math.sqrt(len(b))
        out[cid] = (100.0 * (math.exp(med_b - med_a) - 1.0), 100.0 * math.hypot(u_a, u_b), len(vals))
    return out


def _windows(site: ChargerSite, s: ChargerSettings) -> list[WindowEstimate]:
    span = s.window_days * DAY
    edges = np.searchsorted(site.ts, np.arange(site.ts[0], site.ts[-1] + 1, span))
    bounds = [(int(a), int(b)) for a, b in zip(edges[:-1], [*edges[1:-1], len(site.ts) - 1], strict=True)]
    if not bounds:
        bounds = [(0, len(site.ts) - 1)]
    found = [balance_window(site, lo, hi, s) for lo, hi in bounds if hi - lo >= 3]
    return [w for w in found if w is not None]


def _beyond(e: float | None, u: float | None, s: ChargerSettings) -> bool:
    return e is not None and u is not None and abs(e) - s.k * u > s.limit_pct


def _decide(e: float | None, u: float | None, ve: float | None, vu: float | None, s: ChargerSettings) -> str:
    """The more precise source decides (the upstream balance when it has the smaller u)."""
    sources = [(uu, ee) for ee, uu in ((e, u), (ve, vu)) if ee is not None and uu is not None]
    if not sources:
        return "insufficient_data"
    best_u, best_e = min(sources)
    if _beyond(best_e, best_u, s):
        return "drift"
    return "insufficient_data" if s.k * best_u > s.limit_pct else "ok"


def _slope(series: list[tuple[float, float, float]]) -> float | None:
    if len(series) < 2:
        return None
    t = np.array([w[0] for w in series]) / (30 * DAY)
    e = np.array([w[1] for w in series])
    w = 1.0 / np.maximum(np.array([w[2] for w in series]), 1e-6) ** 2
    tm = np.sum(w * t) / np.sum(w)
    return float(np.sum(w * (t - tm) * e) / np.sum(w * (t - tm) ** 2))


def analyse_chargers(
    site: ChargerSite, sessions: Sequence[Session], settings: ChargerSettings
) -> list[ChargerResult]:
    """Balance per window and vehicle-side comparison for every charger of a site, with a status."""
    s = settings
    wins = _windows(site, s)
    veh = vehicle_side(sessions, site.charger_ids, s.min_sessions)
    counts = {c: 0 for c in site.charger_ids}
    for ses in sessions:
        if ses.charger_id in counts:
            counts[ses.charger_id] += 1
    out: list[ChargerResult] = []
    for i, cid in enumerate(site.charger_ids):
        series = [(w.start_ts, float(w.e_pct[i]), float(w.u_pct[i])) for w in wins]
        e, u = (series[-1][1], series[-1][2]) if series else (None, None)
        ve, vu, _ = veh.get(cid, (None, None, 0))
        status = _decide(e, u, ve, vu, s)
        out.append(ChargerResult(cid, e, u, _slope(series), ve, vu, counts[cid], status, tuple(series)))
    return out
