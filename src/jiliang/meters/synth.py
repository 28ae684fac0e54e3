"""A synthetic city of transformer areas with ground truth, for testing and benchmarking.

Pure: everything comes from a :class:`numpy.random.Generator` and a :class:`SynthConfig`. Every
parameter's default and its source are listed in :class:`SynthConfig` and in the user guide
(``docs/guide/meters.md``). The load model follows the synthetic design of the project notes
(lognormal household energy, shared season and weather factors, diurnal profiles, vacancies,
fixed plus I²R losses, in-class and out-of-class errors, drift, register resolution, missing reads,
outages, clock skew, duplicates, function failures at JJF(冀)174-2020 rules, energy theft).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jiliang.meters.types import DEFAULT_LIMITS_PCT, MeterError, MeterSpec, Role

__all__ = ["SynthArea", "SynthConfig", "synth_areas"]


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """Parameters of the synthetic city (defaults and sources in ``docs/guide/meters.md``).

    Loads: ``median_kwh_per_day`` 6 and ``sigma_log_household`` 0.7 (SGCC data: median 3.3, mean
    7.2 kWh/day); ``season_amplitude`` 0.35, ``weather_sd`` 0.10, ``idio_daily_sd`` 0.3 (project
    notes §5); ``interval_cv`` 0.6: spread of a household's 15-min energy around its diurnal
    profile (assumption: household load is spiky at 15 min); ``vacant_fraction`` 0.08 (notes: 5–10 %)
    with standby 0–5 W. Losses: ``fixed_loss_w_per_meter`` 1.5 W (meter self-consumption, notes
    §5) plus ``fixed_loss_w_area`` 50 W; ``variable_loss_rate`` 0.03 (I²R, notes: ≈ 3 %, area loss
    2–6 %); ``loss_mismatch_pct``: random per-interval error of the I²R law (unmodelled loss).
    Meters: ``class1_fraction`` 0.3; ``in_class_sd_pct`` 0.3; ``out_of_class_fraction`` 0.05 with
    |e| uniform in ``out_of_class_range_pct`` (2, 6) % (notes); ``step_fraction`` 0.01: a step
    change of the error mid-period (drift); ``theft_fraction`` 0.01 with registered share α in
    (0.1, 0.8) (FDI multiplicative attack, notes §3; SGCC prevalence is 8.5 % of *customers*).
    Master: ``master_noise_pct`` 0.01 % per interval, ``master_error_pct`` 0 (class 0.5S).
    Data: ``resolution_kwh`` 0.001; ``missing_fraction`` 0.003; ``outage_prob_per_day`` 0.01
    per area and day, 1–6 h long (concentrator down); ``skew_sd_s`` 5 s per meter clock;
    ``jitter_s`` 3 s of stamping delay; ``duplicate_fraction`` 0.001; ``shuffle`` rows.
    Failures (per meter over the period, onset uniform): ``runaway_fraction`` 0.001,
    ``backwards_fraction`` 0.001, ``stopped_fraction`` 0.002 (assumed rates; the rules are JJF(冀)174).
    Theft scenarios (issue "electricity theft in a transformer area"): with ``theft_area_every``
    k > 0, every k-th area (the k-th, 2k-th, …) has one thief, chosen among its active meters with
    at least ``thief_min_kwh_per_day``, alternately a **night bypass** (registers
    ``night_bypass_pct`` 10 % of the energy from ``night_from_h`` 22:00 to ``night_to_h`` 06:00,
    clock of the timestamps) and **tampering** (registers ``tamper_pct`` 45 % from an onset drawn
    uniformly over the middle 60 % of the period, at any interval). Truth: ``theft_kind``
    (``night_bypass``, ``tamper``, ``steady`` for the multiplicative theft above, ``none``) and
    ``theft_from`` (onset of tampering).
    """

    areas: int = 10
    meters_per_area: int = 100
    days: int = 30
    interval_s: int = 900
    start: date = date(2026, 3, 1)
    resolution_kwh: float = 0.001
    master_noise_pct: float = 0.01
    master_error_pct: float = 0.0
    median_kwh_per_day: float = 6.0
    sigma_log_household: float = 0.7
    season_amplitude: float = 0.35
    weather_sd: float = 0.10
    idio_daily_sd: float = 0.3
    interval_cv: float = 0.6
    vacant_fraction: float = 0.08
    fixed_loss_w_per_meter: float = 1.5
    fixed_loss_w_area: float = 50.0
    variable_loss_rate: float = 0.03
    loss_mismatch_pct: float = 0.0
    class1_fraction: float = 0.3
    in_class_sd_pct: float = 0.3
    out_of_class_fraction: float = 0.05
    out_of_class_low_pct: float = 2.0
    out_of_class_high_pct: float = 6.0
    step_fraction: float = 0.01
    theft_fraction: float = 0.01
    missing_fraction: float = 0.003
    outage_prob_per_day: float = 0.01
    skew_sd_s: float = 5.0
    jitter_s: int = 3
    duplicate_fraction: float = 0.001
    shuffle: bool = True
    runaway_fraction: float = 0.001
    backwards_fraction: float = 0.001
    stopped_fraction: float = 0.002
    with_current: bool = True
    theft_area_every: int = 0
    thief_min_kwh_per_day: float = 2.0
    night_bypass_pct: float = 10.0
    night_from_h: int = 22
    night_to_h: int = 6
    tamper_pct: float = 45.0

    def __post_init__(self) -> None:
        if not (1 <= self.areas <= 100_000):
            raise MeterError(f"areas must be within 1..100000, got {self.areas!r}")
        if not (2 <= self.meters_per_area <= 2000):
            raise MeterError(f"meters_per_area must be within 2..2000, got {self.meters_per_area!r}")
        if not (1 <= self.days <= 3660):
            raise MeterError(f"days must be within 1..3660, got {self.days!r}")
        if self.interval_s not in (300, 900, 1800, 3600, 86400):
            raise MeterError(f"interval_s must be 300, 900, 1800, 3600 or 86400, got {self.interval_s!r}")
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and (not math.isfinite(v) or v < 0):
                raise MeterError(f"{f.name} must be a finite number ≥ 0, got {v!r}")
            if f.name.endswith("_fraction") and not (0 <= v <= 1):
                raise MeterError(f"{f.name} must be within 0..1, got {v!r}")
        if self.out_of_class_low_pct > self.out_of_class_high_pct:
            raise MeterError("out_of_class_low_pct must not exceed out_of_class_high_pct")
        if not (
            0 <= self.theft_area_every <= 100_000
            and 0 <= self.night_from_h < 24
            and 0 <= self.night_to_h < 24
        ):
            raise MeterError("theft_area_every must be ≥ 0 and night hours within 0..23")
        if self.night_bypass_pct > 100 or self.tamper_pct > 100:
            raise MeterError("night_bypass_pct and tamper_pct must be within 0..100")
        if self.resolution_kwh <= 0:
            raise MeterError(f"resolution_kwh must be > 0, got {self.resolution_kwh!r}")


@dataclass(frozen=True, slots=True, eq=False)
class SynthArea:
    """One generated area: meters, reads (row arrays) and the ground truth per user meter."""

    area_id: str
    meters: tuple[MeterSpec, ...]
    meter_index: NDArray[np.int64]
    ts: NDArray[np.int64]
    register_kwh: NDArray[np.float64]
    current_a: NDArray[np.float64] | None
    truth: tuple[dict[str, Any], ...]


def _profiles(per_day: int) -> NDArray[np.float64]:
    """Three diurnal shapes (evening peak, morning + evening, daytime), each summing to 1."""
    if per_day == 1:
        return np.ones((3, 1))
    h = (np.arange(per_day) + 0.5) * 24.0 / per_day

    def bump(c: float, s: float) -> NDArray[np.float64]:
        d = np.minimum(np.abs(h - c), 24 - np.abs(h - c))
        out: NDArray[np.float64] = np.exp(-0.5 * (d / s) ** 2)
        return out

    shapes = np.stack(
        [
            0.3 + 1.6 * bump(19.5, 2.0) + 0.3 * bump(12.0, 2.0),
            0.3 + 1.0 * bump(7.5, 1.2) + 1.2 * bump(20.0, 1.8),
            0.4 + 1.0 * bump(13.0, 3.5) + 0.6 * bump(19.0, 2.0),
        ]
    )
    out: NDArray[np.float64] = shapes / shapes.sum(axis=1, keepdims=True)
    return out


def synth_areas(config: SynthConfig, rng: np.random.Generator) -> Iterator[SynthArea]:
    """Generate the areas one after another (memory stays at one area)."""
    per_day = 86400 // config.interval_s
    n_int = config.days * per_day
    t0 = int(datetime(config.start.year, config.start.month, config.start.day, tzinfo=UTC).timestamp())
    doy = config.start.timetuple().tm_yday + np.arange(config.days)
    season = 1.0 + config.season_amplitude * np.cos(2 * np.pi * (doy - 15) / 365.25)  # winter peak
    # weather: shared by the whole city, AR(1) lognormal day factor
    w = np.zeros(config.days)
    for d in range(1, config.days):
        w[d] = 0.7 * w[d - 1] + math.sqrt(1 - 0.49) * rng.normal()
    weather_city = np.exp(config.weather_sd * w - 0.5 * config.weather_sd**2)
    weekday = (
        np.asarray([config.start.toordinal() + d for d in range(config.days)]) % 7
    )  # ordinal % 7: 1 = Monday, 0 = Sunday
    weekly = np.where((weekday == 6) | (weekday == 0), 1.08, 0.98)
    shapes = _profiles(per_day)
    dt_h = config.interval_s / 3600.0
    for a in range(config.areas):
        area_id = f"A{a + 1:05d}"
        k = config.theft_area_every
        scenario = ("night_bypass", "tamper")[(a // k) % 2] if k and (a + 1) % k == 0 else None
        yield _one_area(
            config, rng, area_id, n_int, per_day, t0, season * weather_city * weekly, shapes, dt_h, scenario
        )


_IMAX_A, _UN_V = 60.0, 220.0


@dataclass(frozen=True, slots=True, eq=False)
class _Truth:
    """What the generator did to each user meter (the ground truth's ingredients)."""

    E: NDArray[np.float64]  # true energy, users × intervals
    vacant: NDArray[np.bool_]
    cls1: NDArray[np.bool_]
    err: NDArray[np.float64]
    step: NDArray[np.bool_]
    theft: NDArray[np.bool_]
    alpha: NDArray[np.float64]
    thief: int
    theft_from: int
    share: NDArray[np.float64]
    kind: NDArray[Any]
    onset: NDArray[np.int64]


def _one_area(
    c: SynthConfig,
    rng: np.random.Generator,
    area_id: str,
    n_int: int,
    per_day: int,
    t0: int,
    day_factor: NDArray[np.float64],
    shapes: NDArray[np.float64],
    dt_h: float,
    scenario: str | None = None,
) -> SynthArea:
    """One area: loads, losses and master, meter errors, theft, failures, registers, reads."""
    n = c.meters_per_area
    E, vacant = _loads(c, rng, n_int, per_day, day_factor, shapes, dt_h)
    master_true, master_meas = _master(c, rng, E, dt_h)
    cls1, err, step, theft, alpha = _errors(c, rng, n, n_int, vacant)
    meas = E * (1 + err) * alpha[:, None]
    thief, theft_from, share = _thief(c, rng, scenario, E, vacant | theft | step, n_int, per_day)
    if thief >= 0:
        meas[thief] *= share
    kind, onset = _failures(c, rng, meas, vacant, thief, dt_h)
    regs, cur_pts = _registers(c, rng, master_meas, meas, master_true, E, dt_h)
    grid_ts = t0 + np.arange(n_int + 1, dtype=np.int64) * c.interval_s
    mi, ts, reg, cur = _reads(c, rng, regs, cur_pts, grid_ts, per_day)
    t = _Truth(E, vacant, cls1, err, step, theft, alpha, thief, theft_from, share, kind, onset)
    specs, truth = _meters_and_truth(c, area_id, t, grid_ts, scenario)
    return SynthArea(
        area_id=area_id,
        meters=tuple(specs),
        meter_index=mi,
        ts=ts,
        register_kwh=reg,
        current_a=cur if c.with_current else None,
        truth=tuple(truth),
    )


def _loads(
    c: SynthConfig,
    rng: np.random.Generator,
    n_int: int,
    per_day: int,
    day_factor: NDArray[np.float64],
    shapes: NDArray[np.float64],
    dt_h: float,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """True loads (kWh per interval), users × intervals, and the vacant meters."""
    n, days = c.meters_per_area, c.days
    base = c.median_kwh_per_day * np.exp(c.sigma_log_household * rng.normal(size=n))
    local = np.exp(0.05 * rng.normal(size=days))  # area-level weather deviation
    idio = np.exp(c.idio_daily_sd * rng.normal(size=(n, days)) - 0.5 * c.idio_daily_sd**2)
    daily = base[:, None] * (day_factor * local)[None, :] * idio
    mix = rng.dirichlet(np.ones(3), size=n)
    prof = mix @ shapes  # n × per_day
    s2 = math.log(1 + c.interval_cv**2)
    noise = np.exp(math.sqrt(s2) * rng.normal(size=(n, n_int)) - 0.5 * s2) if per_day > 1 else 1.0
    E = (daily[:, :, None] * prof[:, None, :]).reshape(n, n_int) * noise
    vacant = rng.random(n) < c.vacant_fraction
    standby_kw = rng.uniform(0.0, 0.005, size=n)
    E[vacant] = standby_kw[vacant, None] * dt_h
    np.minimum(E, 0.8 * 60.0 * 220.0 / 1000.0 * dt_h, out=E)  # a 60 A supply cannot draw more
    return E, vacant


def _master(
    c: SynthConfig, rng: np.random.Generator, E: NDArray[np.float64], dt_h: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The master's true energy (users + fixed loss + I²R loss) and what it registers."""
    n, n_int = E.shape
    total = E.sum(axis=0)
    fixed_kwh = (c.fixed_loss_w_per_meter * n + c.fixed_loss_w_area) / 1000.0 * dt_h
    p_kw = total / dt_h
    coeff = c.variable_loss_rate * total.sum() / float(np.sum(p_kw**2 * dt_h)) if total.sum() > 0 else 0.0
    var_loss = coeff * p_kw**2 * dt_h
    if c.loss_mismatch_pct > 0:
        var_loss = var_loss * (1 + c.loss_mismatch_pct / 100.0 * rng.normal(size=n_int))
    master_true = total + fixed_kwh + var_loss
    master_meas = (
        master_true
        * (1 + c.master_error_pct / 100.0)
        * (1 + c.master_noise_pct / 100.0 * rng.normal(size=n_int))
    )
    return master_true, master_meas


def _errors(
    c: SynthConfig, rng: np.random.Generator, n: int, n_int: int, vacant: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_], NDArray[np.float64]]:
    """Class, error per interval (in class, out of class, steps), steady theft and its share."""
    cls1 = rng.random(n) < c.class1_fraction
    e = c.in_class_sd_pct / 100.0 * rng.normal(size=n)
    out = rng.random(n) < c.out_of_class_fraction
    e[out] = (
        rng.choice([-1.0, 1.0], size=int(out.sum()))
        * rng.uniform(c.out_of_class_low_pct, c.out_of_class_high_pct, size=int(out.sum()))
        / 100.0
    )
    err = np.repeat(e[:, None], n_int, axis=1)
    step = rng.random(n) < c.step_fraction
    step_at = rng.integers(0, n_int, size=n)
    step_size = rng.choice([-1.0, 1.0], size=n) * rng.uniform(2.0, 5.0, size=n) / 100.0
    for i in np.flatnonzero(step).tolist():
        err[i, step_at[i] :] += step_size[i]
    theft = (rng.random(n) < c.theft_fraction) & ~vacant
    alpha = np.where(theft, rng.uniform(0.1, 0.8, size=n), 1.0)
    return cls1, err, step, theft, alpha


def _failures(
    c: SynthConfig,
    rng: np.random.Generator,
    meas: NDArray[np.float64],
    vacant: NDArray[np.bool_],
    thief: int,
    dt_h: float,
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Function failures (exclusive), onset uniform over the period; applied to ``meas``."""
    n, n_int = meas.shape
    u = rng.random(n)
    kind = np.full(n, "", dtype=object)
    r1, r2, r3 = c.runaway_fraction, c.backwards_fraction, c.stopped_fraction
    kind[u < r1] = "runaway"
    kind[(u >= r1) & (u < r1 + r2)] = "backwards"
    kind[(u >= r1 + r2) & (u < r1 + r2 + r3) & ~vacant] = "stopped"
    if thief >= 0:
        kind[thief] = ""  # a scenario's thief is a working meter: its truth is the theft alone
    onset: NDArray[np.int64] = np.asarray(rng.integers(0, n_int, size=n), dtype=np.int64)
    for i in np.flatnonzero(kind != "").tolist():
        s = int(onset[i])
        if kind[i] == "runaway":
            meas[i, s:] += 1.2 * _IMAX_A * _UN_V / 1000.0 * dt_h
        elif kind[i] == "backwards":
            meas[i, s:] = -meas[i, s:]
        else:
            meas[i, s:] = 0.0
    return kind, onset


def _registers(
    c: SynthConfig,
    rng: np.random.Generator,
    master_meas: NDArray[np.float64],
    meas: NDArray[np.float64],
    master_true: NDArray[np.float64],
    E: NDArray[np.float64],
    dt_h: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Registers at the grid points (with clock skew, floored to the resolution) and currents."""
    all_meas = np.vstack([master_meas[None, :], meas])  # row 0 = master
    m_all, n_int = all_meas.shape
    start_reg = rng.uniform(100.0, 20000.0, size=m_all)
    cum = np.zeros((m_all, n_int + 1))
    cum[:, 1:] = np.cumsum(all_meas, axis=1)
    cum += start_reg[:, None]
    skew = c.skew_sd_s * rng.normal(size=m_all) / c.interval_s  # in intervals
    nxt = np.zeros((m_all, n_int + 1))
    nxt[:, :-1] = all_meas
    prv = np.zeros((m_all, n_int + 1))
    prv[:, 1:] = all_meas
    regs = cum + np.where(skew[:, None] >= 0, skew[:, None] * nxt, skew[:, None] * prv)
    regs = np.round(np.floor(regs / c.resolution_kwh + 1e-9) * c.resolution_kwh, 9)
    current = np.vstack([master_true[None, :] / dt_h * 1000 / (_UN_V * 3), E / dt_h * 1000 / _UN_V])  # A
    cur_pts = np.zeros((m_all, n_int + 1))
    cur_pts[:, 1:] = current
    cur_pts[:, 0] = current[:, 0]
    return regs, cur_pts


def _reads(
    c: SynthConfig,
    rng: np.random.Generator,
    regs: NDArray[np.float64],
    cur_pts: NDArray[np.float64],
    grid_ts: NDArray[np.int64],
    per_day: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """The reads sent: missing reads and outages, stamping jitter, duplicates, shuffled rows."""
    m_all, n_pts = regs.shape
    keep = rng.random((m_all, n_pts)) >= c.missing_fraction
    for d in range(c.days):
        if rng.random() < c.outage_prob_per_day:
            length = int(rng.integers(1, 7) * 3600 // c.interval_s) or 1
            s = int(d * per_day + int(rng.integers(0, per_day)))
            keep[:, s : s + length] = False
    mi_grid = np.repeat(np.arange(m_all, dtype=np.int64)[:, None], n_pts, axis=1)
    ts_grid = grid_ts[None, :] + rng.integers(0, c.jitter_s + 1, size=(m_all, n_pts))
    mi = mi_grid[keep]
    ts = ts_grid[keep].astype(np.int64)
    reg = regs[keep]
    cur = cur_pts[keep]
    dup = np.flatnonzero(rng.random(len(mi)) < c.duplicate_fraction)
    if len(dup):
        mi, ts, reg, cur = (np.concatenate([x, x[dup]]) for x in (mi, ts, reg, cur))
    if c.shuffle:
        perm = rng.permutation(len(mi))
        mi, ts, reg, cur = mi[perm], ts[perm], reg[perm], cur[perm]
    return mi, ts, reg, cur


def _meters_and_truth(
    c: SynthConfig, area_id: str, t: _Truth, grid_ts: NDArray[np.int64], scenario: str | None
) -> tuple[list[MeterSpec], list[dict[str, Any]]]:
    """The meters file rows and the ground truth per user meter."""
    n, n_int = t.E.shape
    installed = date(2018, 1, 1)
    specs = [MeterSpec(f"{area_id}-M000", area_id, Role.MASTER, "0.5S", 1500.0, 220.0, installed, "ABC")]
    truth: list[dict[str, Any]] = []
    for i in range(n):
        cls = "1" if t.cls1[i] else "2"
        mid = f"{area_id}-U{i + 1:03d}"
        specs.append(MeterSpec(mid, area_id, Role.USER, cls, _IMAX_A, _UN_V, installed, "ABC"[i % 3]))
        f = t.kind[i]
        upto = t.onset[i] if f else n_int
        true_sum = float(t.E[i, :upto].sum())
        reg_share = t.share[:upto] if i == t.thief else 1.0
        meas_sum = float((t.E[i, :upto] * (1 + t.err[i, :upto]) * t.alpha[i] * reg_share).sum())
        eff = 100.0 * (meas_sum / true_sum - 1.0) if true_sum > 0 else 0.0
        limit = DEFAULT_LIMITS_PCT[cls]
        thief = i == t.thief
        truth.append(
            {
                "meter_id": mid,
                "area_id": area_id,
                "true_error_pct": eff,
                "limit_pct": limit,
                "out_of_limit": bool(abs(eff) > limit and not t.vacant[i] and not f),
                "vacant": bool(t.vacant[i]),
                "failure": f or "none",
                "failure_onset": _iso(int(grid_ts[t.onset[i]])) if f else None,
                "theft": bool(t.theft[i]) or thief,
                "theft_kind": scenario if thief else ("steady" if t.theft[i] else "none"),
                "theft_from": _iso(int(grid_ts[t.theft_from])) if thief and t.theft_from >= 0 else None,
                "step": bool(t.step[i]),
                "kwh_per_day": float(t.E[i].sum() / c.days),
            }
        )
    return specs, truth


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _thief(
    c: SynthConfig,
    rng: np.random.Generator,
    scenario: str | None,
    E: NDArray[np.float64],
    taken: NDArray[np.bool_],
    n_int: int,
    per_day: int,
) -> tuple[int, int, NDArray[np.float64]]:
    """The thief of an area (−1 if none), the onset of tampering (−1 if none) and the share of
    its energy it registers per interval (draws from ``rng`` only in an area with a thief)."""
    share = np.ones(n_int)
    if scenario is None:
        return -1, -1, share
    per_day_kwh = E.sum(axis=1) / max(n_int / per_day, 1e-9)
    pool = np.flatnonzero(~taken & (per_day_kwh >= c.thief_min_kwh_per_day))
    if not len(pool):
        return -1, -1, share
    thief = int(rng.choice(pool))
    if scenario == "night_bypass":
        hour = (np.arange(n_int) % per_day) * 24 // per_day
        lo, hi = c.night_from_h, c.night_to_h
        night = (hour >= lo) | (hour < hi) if lo > hi else (hour >= lo) & (hour < hi)
        share[night] = c.night_bypass_pct / 100.0
        return thief, -1, share
    onset = int(rng.integers(int(0.2 * n_int), max(int(0.8 * n_int), int(0.2 * n_int) + 1)))
    share[onset:] = c.tamper_pct / 100.0
    return thief, onset, share
