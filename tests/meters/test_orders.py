"""Flagged meters become field-check work orders on their registry instruments, once per run."""

from __future__ import annotations

from sqlalchemy import select

from jiliang.meters.models import MeterEstimationRun
from jiliang.registry.models import Instrument, WorkOrder


def test_work_orders_are_raised_once_and_scoped(client, auth_headers, app):
    with app.state.db.session() as s:
        run_id = s.scalar(select(MeterEstimationRun.id))
        before = s.scalar(select(WorkOrder.id).where(WorkOrder.source == f"meters run {run_id}"))
        orders = s.scalars(select(WorkOrder).where(WorkOrder.source == f"meters run {run_id}")).all()
        assert before is not None and orders, "the demo raises the run's work orders"
        inst = s.get(Instrument, orders[0].instrument_id)
        assert orders[0].kind == "field_check" and "limit" in orders[0].note
        owner = inst.owner_id
    r = client.post(f"/api/meters/runs/{run_id}/work-orders", headers=auth_headers("power"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["attached"] == 0 and body["already"] == len(orders) and body["not_in_registry"] == []
    assert (
        client.post(f"/api/meters/runs/{run_id}/work-orders", headers=auth_headers("fuel")).status_code == 404
    )
    with app.state.db.session() as s:
        assert all(s.get(Instrument, o.instrument_id).owner_id == owner for o in orders)
        assert len(
            s.scalars(select(WorkOrder).where(WorkOrder.source == f"meters run {run_id}")).all()
        ) == len(orders)
    detail = client.get(f"/api/registry/instruments/{orders[0].instrument_id}", headers=auth_headers("power"))
    assert detail.status_code == 200 and any(w["kind"] == "field_check" for w in detail.json()["work_orders"])
