"""Demo data of the cheating checks: three fuel stations (the demo user ``fuel``'s own station has
a dispenser with a pulse-equivalent cheat and an unrecorded re-initialisation) and two charging
sites (one charger drifting beyond its class), analysed and stored, and one field-check outcome."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.meters import cheating
from jiliang.meters.chargersynth import ChargerSiteConfig, synth_charger_site
from jiliang.meters.cheatio import charger_csv, station_csv
from jiliang.meters.dispensersynth import SynthStationConfig, synth_station
from jiliang.platform.auth import Principal
from jiliang.platform.models import OrgKind, Role, User

__all__ = ["seed"]

STATION_DAYS = 30
CHARGER_DAYS = 28


def _regulator(session: Session) -> Principal | None:
    user = session.scalar(select(User).where(User.username == "regulator"))
    if user is None:
        return None
    return Principal(user_id=user.id, username=user.username, role=Role.REGULATOR, org_id=user.org_id)


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    """Stations and charging sites of the demo city, analysed as their uploads would be."""
    reg = _regulator(session)
    if reg is None:
        return {}
    now = datetime.combine(city.as_of, time(8), UTC)
    start = (now - timedelta(days=STATION_DAYS + 1)).replace(hour=0).timestamp()
    fuel_user_org = session.scalar(select(User.org_id).where(User.username == "fuel"))
    stations = list(city.orgs_by_kind.get(OrgKind.FUEL_STATION, []))[:3]
    if fuel_user_org in stations:
        stations.remove(fuel_user_org)
        stations.insert(0, fuel_user_org)
    counts = {"cheat_stations": 0, "cheat_charging_sites": 0}
    first_station = None
    for i, org_id in enumerate(stations):
        cfg = SynthStationConfig(
            days=STATION_DAYS,
            cheat=i == 0,
            cheat_range_pct=(-1.5, -1.0),
            cheat_trace_probability=1.0,
            missing_record_probability=0.0,
            start_ts=start,
            station_id=f"ST{i + 1}",
        )
        st = synth_station(cfg, np.random.default_rng(rng.getrandbits(63)))
        files = station_csv(st.data, st.events)
        an, _ = cheating.analyse_fuel_upload(
            session,
            reg,
            org_id=org_id,
            code=f"ST{i + 1}",
            name=f"{i + 1} 号站",
            totalisers=files["totalisers"],
            tank=files["tank"],
            events=files["events"],
            now=now,
        )
        first_station = first_station or an.site_id
        counts["cheat_stations"] += 1
    for i, org_id in enumerate(list(city.orgs_by_kind.get(OrgKind.CHARGING, []))[:2]):
        ccfg = ChargerSiteConfig(
            days=CHARGER_DAYS, chargers=4, drift=i == 0, start_ts=start - 7 * 86400.0, site_id=f"EV{i + 1}"
        )
        site = synth_charger_site(ccfg, np.random.default_rng(rng.getrandbits(63)))
        files = charger_csv(site.data, site.sessions)
        cheating.analyse_charger_upload(
            session,
            reg,
            org_id=org_id,
            code=f"EV{i + 1}",
            name=f"{i + 1} 号充电站",
            registers=files["registers"],
            sessions=files["sessions"],
            accuracy_class="2",
            now=now,
        )
        counts["cheat_charging_sites"] += 1
    if first_station is not None:
        cheating.record_outcome(
            session,
            reg,
            first_station,
            checked_on=city.as_of,
            source="field_check",
            confirmed=True,
            note="现场检查: 脉冲当量被改动",
        )
        counts["cheat_outcomes"] = 1
    return counts
