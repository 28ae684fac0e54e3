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
        stopped_fraction=0.0,
        backwards_fraction=0.01,
        theft_fraction=0.03,
        theft_area_every=2,  # the second area has a night bypass (suspected theft)
    )
    result = RunResult()
    settings = EstimationSettings()
    all_meters: list[Any] = []
    for area in synth_areas(config, np.random.default_rng(rng.getrandbits(63))):
        all_meters.extend(area.meters)
        specs = area_specs(area.meters)[area.area_id]
        ids = np.asarray([s.meter_id for s in area.meters])[area.meter_index]
        rows, summary = estimate_group(
            area.area_id, specs, ids, area.ts, area.register_kwh, area.current_a, settings
        )
        result.meters.extend(rows)
        result.areas.append(summary)
    run = store_run(session, org_id, "demo: 3 areas, 14 days", result, "demo", settings={"guard_k": 2.0})
    registered, orders = _register_and_order(session, city, org_id, run, all_meters)
    return {
        "meter_runs": 1,
        "meter_results": run.meters,
        "meter_instruments": registered,
        "work_orders": orders,
    }


def _register_and_order(
    session: Session, city: Any, org_id: int, run: Any, meters: list[Any]
) -> tuple[int, int]:
    """Put the demo's user meters in the registry and raise the run's field-check work orders."""
    import importlib.util

    if importlib.util.find_spec("jiliang.registry.models") is None:
        return 0, 0
    from sqlalchemy import insert, select

    from jiliang.meters.orders import raise_work_orders
    from jiliang.meters.service import result_rows
    from jiliang.meters.worklist import worklist
    from jiliang.registry.models import Instrument, InstrumentType

    type_id = session.scalar(select(InstrumentType.id).where(InstrumentType.code == "electricity-meter"))
    if type_id is None:
        return 0, 0
    district = city.org_district.get(org_id)
    rows = [
        {
            "type_id": type_id,
            "owner_id": org_id,
            "district_id": district,
            "serial": m.meter_id,
            "model": "DDZY-demo",
            "accuracy_class": m.accuracy_class,
            "location": f"台区 {m.area_id}",
            "use": "trade_settlement",
            "compulsory": True,
            "last_verified_on": m.installed_on,
            "last_result": "pass",
        }
        for m in meters
        if m.role == "user"
    ]
    if rows:
        session.execute(insert(Instrument), rows)
    _, results = result_rows(session, run.id)
    return len(rows), int(raise_work_orders(session, run, worklist(results))["attached"])
