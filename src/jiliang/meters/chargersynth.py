"""A synthetic charging site with ground truth, for testing the charger checks.

``chargers`` DC chargers behind one upstream meter (class 0.5S, relative noise ``upstream_rel_sd``),
15-minute register readings rounded to 0.001 kWh. Sessions arrive as a Poisson process
(``sessions_per_day`` per charger), last 20–90 min at 30–110 kW. Honest chargers register
with an error ~ N(0, ``honest_sd_pct``); with ``drift`` one charger's error grows linearly from 0
to ``drift_end_pct`` (a value beyond the class limit) over the period. Vehicle energy (BMS) =
true energy × (1 − ℓ), ℓ ~ U(1 %, 5 %) per session, given for a ``vehicle_share`` of sessions.
The site draws ``aux_kw`` for itself.

Examples
--------
>>> import numpy as np
>>> site = synth_charger_site(ChargerSiteConfig(days=2, chargers=3), np.random.default_rng(0))
>>> site.data.charger_kwh.shape
(3, 193)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jiliang.errors import InputError
from jiliang.meters.chargers import ChargerSite, Session

__all__ = ["ChargerSiteConfig", "SynthChargerSite", "synth_charger_site"]


@dataclass(frozen=True, slots=True)
class ChargerSiteConfig:
    days: int = 28
    chargers: int = 6
    interval_min: int = 15
    sessions_per_day: float = 8.0
    honest_sd_pct: float = 0.2
    drift: bool = False
    drift_end_pct: float = 4.0
    upstream_rel_sd: float = 0.0005
    aux_kw: float = 1.5
    vehicle_share: float = 0.6
    start_ts: float = 1_767_225_600.0
    site_id: str = "C1"

    def __post_init__(self) -> None:
        if not (
            1 <= self.days <= 400 and 1 <= self.chargers <= 64 and self.interval_min in (1, 5, 15, 30, 60)
        ):
            raise InputError("days 1–400, chargers 1–64, interval 1, 5, 15, 30 or 60 min")


@dataclass(frozen=True, slots=True)
class SynthChargerSite:
    data: ChargerSite
    sessions: tuple[Session, ...]
    truth_end_pct: dict[str, float]
    drifting: str | None


def synth_charger_site(cfg: ChargerSiteConfig, rng: np.random.Generator) -> SynthChargerSite:
    """One synthetic site (module docstring) with its ground truth."""
    per_day = 24 * 60 // cfg.interval_min
    m = cfg.days * per_day
    ids = tuple(f"{cfg.site_id}-P{i + 1}" for i in range(cfg.chargers))
    drifting = ids[int(rng.integers(len(ids)))] if cfg.drift else None
    base = rng.normal(0, cfg.honest_sd_pct, len(ids)) / 100
    frac = np.arange(m) / m
    err = np.tile(base[:, None], (1, m))
    if drifting is not None:
        err[ids.index(drifting)] = cfg.drift_end_pct / 100 * frac
    true = np.zeros((len(ids), m))
    sessions: list[Session] = []
    for i, cid in enumerate(ids):
        busy_until = 0
        for start in np.sort(rng.integers(0, m, rng.poisson(cfg.sessions_per_day * cfg.days))):
            if start < busy_until:
                continue
            length = int(rng.integers(20, 91)) // cfg.interval_min + 1
            kw = float(rng.uniform(30, 110))
            end = min(m, int(start) + length)
            true[i, start:end] += kw * cfg.interval_min / 60
            energy = float(true[i, start:end].sum())
            registered = float((true[i, start:end] * (1 + err[i, start:end])).sum())
            veh = energy * (1 - rng.uniform(0.01, 0.05)) if rng.random() < cfg.vehicle_share else None
            sessions.append(
                Session(cid, cfg.start_ts + start * cfg.interval_min * 60.0, round(registered, 3), veh)
            )
            busy_until = end
    reg = np.round(np.concatenate([np.zeros((len(ids), 1)), np.cumsum(true * (1 + err), axis=1)], axis=1), 3)
    up = true.sum(axis=0) + cfg.aux_kw * cfg.interval_min / 60
    up *= 1 + rng.normal(0, cfg.upstream_rel_sd, m)
    upstream = np.round(np.concatenate([[0.0], np.cumsum(up)]), 3)
    ts = (cfg.start_ts + np.arange(m + 1) * cfg.interval_min * 60.0).astype(np.float64)
    truth = {cid: 100 * float(err[i, -1]) for i, cid in enumerate(ids)}
    return SynthChargerSite(
        ChargerSite(cfg.site_id, ts, upstream, ids, reg), tuple(sessions), truth, drifting
    )
