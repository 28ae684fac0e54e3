"""Demo data: a few transformer areas of the demo city's power utility, estimated and stored."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from jiliang.meters.engine import RunResult, area_specs, estimate_group
from jiliang.meters.service import store_run
from jiliang.meters.synth import SynthConfig, synth_areas
from jiliang.meters.types import EstimationSettings

__all__ = ["seed"]


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    """Three areas × 40 meters × 14 days of 15-min reads, estimated once (a stored run)."""
    import numpy as np

    org_id = city.org_ids.get("power")
    if org_id is None:
        return {}
    config = SynthConfig(
        areas=3,
        meters_per_area=40,
        days=14,
        start=city.as_of - timedelta(days=14),
        out_of_class_fraction=0.08,
        runaway_fraction=0.01,
        stopped_fraction=0.0,  # a meter stopping early leaves its area too few periods (see the guide)
        backwards_fraction=0.01,
        theft_fraction=0.03,
    )
    result = RunResult()
    settings = EstimationSettings()
    for area in synth_areas(config, np.random.default_rng(rng.getrandbits(63))):
        specs = area_specs(area.meters)[area.area_id]
        ids = np.asarray([s.meter_id for s in area.meters])[area.meter_index]
        rows, summary = estimate_group(
            area.area_id, specs, ids, area.ts, area.register_kwh, area.current_a, settings
        )
        result.meters.extend(rows)
        result.areas.append(summary)
    run = store_run(session, org_id, "demo: 3 areas, 14 days", result, "demo", settings={"guard_k": 2.0})
    return {"meter_runs": 1, "meter_results": run.meters}
