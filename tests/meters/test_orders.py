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


def test_another_run_with_the_same_findings_adds_no_order_while_one_is_open(client, auth_headers, app):
    """A replayed upload (or next month's run) makes a new run; its findings are the ones already
    open, so no work order is duplicated; once an order is done, the finding is raised again."""
    from jiliang.meters.engine import RunResult
    from jiliang.meters.service import result_rows, store_run

    with app.state.db.session(actor="test") as s:
        first = s.scalar(select(MeterEstimationRun))
        _, rows = result_rows(s, first.id)
        second = store_run(s, first.org_id, "replayed", RunResult(meters=rows, areas=[]), "test").id
        orders = s.scalars(select(WorkOrder).where(WorkOrder.source == f"meters run {first.id}")).all()
        total = len(s.scalars(select(WorkOrder)).all())
    body = client.post(f"/api/meters/runs/{second}/work-orders", headers=auth_headers("power")).json()
    assert body["attached"] == 0 and body["already"] == len(orders)
    with app.state.db.session(actor="test") as s:
        assert len(s.scalars(select(WorkOrder)).all()) == total
        s.get(WorkOrder, orders[0].id).status = "done"
    body = client.post(f"/api/meters/runs/{second}/work-orders", headers=auth_headers("power")).json()
    assert body["attached"] == 1 and body["already"] == len(orders) - 1
    with app.state.db.session() as s:
        new = s.scalars(select(WorkOrder).where(WorkOrder.source == f"meters run {second}")).one()
        assert new.instrument_id == orders[0].instrument_id and new.status == "open"
        assert new.note.split(":")[0] == orders[0].note.split(":")[0]
