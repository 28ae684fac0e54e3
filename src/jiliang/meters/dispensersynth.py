"""A synthetic fuel station with ground truth, for testing and benchmarking the dispenser checks.

A station has ``tanks`` tanks (one grade each) and ``dispensers`` dispensers with one nozzle per
grade (nozzle *i* of every dispenser draws from tank *i mod tanks*). Each interval every nozzle
makes Poisson fills (rate × a day profile) of lognormal volume (median 30 L). The true delivery
ratio of a nozzle is δ ~ N(0, ``honest_sd_pct``); with ``cheat`` one dispenser's nozzles all get
one δ uniform in ``cheat_range_pct`` (a pulse-equivalent change on its board). Tanks lose
``evap_pct`` of throughput (drawn per station around 0.10 %) and ``leak_lph``; a delivery
(15–20 m³, receipt ± 0.1 %) comes when a tank falls below 8 m³. The gauge reports gross volume
with noise ``gauge_sd_l`` and temperature with noise ``temp_sd_k``.

Events: each dispenser has a verification at the start; honest repairs (re-initialisation, seal
changed) arrive at ``repair_rate_per_30d`` with a repair record, which is missing with probability
``missing_record_probability`` (an honest false alarm). A cheat is installed with an unrecorded
re-initialisation with probability ``cheat_trace_probability`` (else it leaves no trace in the log).

Examples
--------
>>> import numpy as np
>>> st = synth_station(SynthStationConfig(days=2, dispensers=2, tanks=2), np.random.default_rng(0))
>>> len(st.data.tanks), len(st.data.nozzles), len(st.data.tanks[0].ts)
(2, 4, 49)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from jiliang.errors import InputError
from jiliang.meters.dispensers import DispenserEvent, NozzleSeries, StationData, TankSeries

__all__ = ["SynthStation", "SynthStationConfig", "synth_station"]

_PROFILE = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.9, 1.5, 1.6, 1.2, 1.0, 1.1,
                     1.2, 1.1, 1.0, 1.1, 1.4, 1.7, 1.6, 1.2, 0.9, 0.7, 0.5, 0.3])  # fmt: skip


@dataclass(frozen=True, slots=True)
class SynthStationConfig:
    days: int = 30
    interval_h: float = 1.0
    tanks: int = 3
    dispensers: int = 4
    fills_per_hour: float = 2.0
    gauge_sd_l: float = 5.0
    temp_sd_k: float = 0.1
    honest_sd_pct: float = 0.08
    cheat: bool = False
    cheat_range_pct: tuple[float, float] = (-3.0, -0.5)
    evap_pct: float = 0.10
    u_evap_pct: float = 0.05
    leak_lph: float = 0.0
    beta_per_k: float = 0.0012
    repair_rate_per_30d: float = 0.3
    missing_record_probability: float = 0.03
    cheat_trace_probability: float = 0.5
    start_ts: float = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    station_id: str = "S1"

    def __post_init__(self) -> None:
        if not (1 <= self.days <= 400 and 1 <= self.tanks <= 8 and 1 <= self.dispensers <= 24):
            raise InputError("days 1–400, tanks 1–8, dispensers 1–24")
        if not (0.05 <= self.interval_h <= 24 and 24 % self.interval_h == 0):
            raise InputError(f"interval_h must divide 24, got {self.interval_h}")
        lo, hi = self.cheat_range_pct
        if not lo <= hi < 0:
            raise InputError(f"cheat_range_pct must be negative and ordered, got {self.cheat_range_pct}")


@dataclass(frozen=True, slots=True)
class SynthStation:
    """The data, the event log, and the truth: δ per nozzle (%), the cheating dispenser if any."""

    data: StationData
    events: tuple[DispenserEvent, ...]
    truth_pct: dict[str, float]
    cheating_dispenser: str | None
    unrecorded_honest: tuple[str, ...]


def _sales(cfg: SynthStationConfig, rng: np.random.Generator, n_noz: int, m: int) -> np.ndarray:
    hours = (np.arange(m) * cfg.interval_h) % 24
    prof = np.array([_PROFILE[int(h) : int(h + cfg.interval_h) or 1].mean() for h in hours])
    rates = cfg.fills_per_hour * rng.lognormal(0.0, 0.4, n_noz)
    lam = np.outer(rates, prof * cfg.interval_h)
    fills = rng.poisson(lam)
    total = int(fills.sum())
    sizes = rng.lognormal(math.log(30.0), 0.5, total)
    flat = np.zeros(n_noz * m)
    np.add.at(flat, np.repeat(np.arange(n_noz * m), fills.ravel()), sizes)
    return flat.reshape(n_noz, m)


def _events(
    cfg: SynthStationConfig, rng: np.random.Generator, disps: list[str], cheater: str | None
) -> tuple[list[DispenserEvent], list[str]]:
    span = cfg.days * 86400.0
    evs = [DispenserEvent(d, cfg.start_ts - 86400.0 * 30, "verification", "JJG 443-2023") for d in disps]
    honest_unrecorded: list[str] = []
    for d in disps:
        for _ in range(rng.poisson(cfg.repair_rate_per_30d * cfg.days / 30.0)):
            t = cfg.start_ts + float(rng.uniform(0, span))
            evs.append(DispenserEvent(d, t, str(rng.choice(["reinit", "seal_changed", "board_replaced"]))))
            if rng.random() < cfg.missing_record_probability:
                honest_unrecorded.append(d)
            else:
                evs.append(DispenserEvent(d, t + float(rng.uniform(0, 86400.0)), "repair", "R"))
    if cheater is not None and rng.random() < cfg.cheat_trace_probability:
        t = cfg.start_ts - float(rng.uniform(3600.0, 5 * 86400.0))
        evs.append(DispenserEvent(cheater, t - 1800.0, "lock"))
        evs.append(DispenserEvent(cheater, t, "reinit"))
    return evs, honest_unrecorded


def synth_station(cfg: SynthStationConfig, rng: np.random.Generator) -> SynthStation:
    """One synthetic station (module docstring) with its ground truth."""
    m = round(cfg.days * 24 / cfg.interval_h)
    disps = [f"{cfg.station_id}-D{i + 1}" for i in range(cfg.dispensers)]
    nozzles = [(f"{d}-N{g + 1}", d, f"{cfg.station_id}-T{g + 1}") for d in disps for g in range(cfg.tanks)]
    cheater = disps[int(rng.integers(len(disps)))] if cfg.cheat else None
    cheat = float(rng.uniform(*cfg.cheat_range_pct))
    delta = (
        np.array([cheat if d == cheater else rng.normal(0, cfg.honest_sd_pct) for _, d, _ in nozzles]) / 100
    )
    reg = _sales(cfg, rng, len(nozzles), m)  # registered gross litres per interval
    evap = max(0.0, float(rng.normal(cfg.evap_pct, cfg.u_evap_pct))) / 100.0
    ts = (cfg.start_ts + np.arange(m + 1) * cfg.interval_h * 3600.0).astype(np.float64)
    tanks: list[TankSeries] = []
    for g in range(cfg.tanks):
        tid = f"{cfg.station_id}-T{g + 1}"
        idx = [i for i, nz in enumerate(nozzles) if nz[2] == tid]
        temp = 16.0 + 0.3 * np.sin(2 * np.pi * (ts - ts[0]) / 86400.0) + np.cumsum(rng.normal(0, 0.02, m + 1))
        f20 = 1.0 - cfg.beta_per_k * (0.5 * (temp[1:] + temp[:-1]) - 20.0)
        out20 = (reg[idx] * (1.0 + delta[idx, None])).sum(axis=0) * f20
        out20 += evap * reg[idx].sum(axis=0) * f20 + cfg.leak_lph * cfg.interval_h
        v20 = np.empty(m + 1)
        deliveries = np.zeros(m + 1)
        v20[0] = float(rng.uniform(12000, 25000))
        for j in range(1, m + 1):
            v20[j] = v20[j - 1] - out20[j - 1]
            if v20[j] < 8000.0:
                true_d = float(rng.uniform(15000, 20000))
                v20[j] += true_d
                deliveries[j] = true_d * (1 + rng.normal(0, 0.001))  # receipt at 20 °C
        gross = v20 / (1.0 - cfg.beta_per_k * (temp - 20.0)) + rng.normal(0, cfg.gauge_sd_l, m + 1)
        tanks.append(
            TankSeries(
                tid, ts, np.maximum(gross, 0.0), temp + rng.normal(0, cfg.temp_sd_k, m + 1), deliveries
            )
        )
    series = tuple(
        NozzleSeries(nid, d, tid, 1000.0 * (i + 1) + np.concatenate([[0.0], np.cumsum(reg[i])]))
        for i, (nid, d, tid) in enumerate(nozzles)
    )
    events, honest = _events(cfg, rng, disps, cheater)
    truth = {nid: 100.0 * float(delta[i]) for i, (nid, _, _) in enumerate(nozzles)}
    data = StationData(cfg.station_id, tuple(tanks), series)
    return SynthStation(data, tuple(events), truth, cheater, tuple(sorted(set(honest))))
