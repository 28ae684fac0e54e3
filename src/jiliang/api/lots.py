"""In-service meter lots with extended replacement (在用电能表状态评价及延期更换) over HTTP.

Access: the utility owning the meters (``enterprise`` users of that organization) forms its lots,
reads them and records the results of its field checks; the regulator draws, decides and
publishes. The lookup by meter number is public and shows published decisions only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, ClockDep, Regulator, SessionDep
from jiliang.errors import InputError
from jiliang.meters import lotservice as svc
from jiliang.meters.lotrules import rule_codes, rule_data

router = APIRouter(prefix="/meters/lots", tags=["meters"])

LotId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class FormIn(BaseModel):
    rule: str = Field(min_length=1, max_length=32, description="hu57-2018, lu107-2022 or mc-s-s-06")
    org_id: int | None = Field(None, ge=1, le=2**31 - 1, description="The utility (the regulator names it)")
    run_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Estimation run (default: latest)")
    meters_csv: str | None = Field(
        None,
        min_length=1,
        max_length=50_000_000,
        description="CSV: meter_no, kind, maker, model, batch, install_year",
    )
    from_registry: Literal["electricity", "water", "gas"] | None = Field(
        None, description="Instead of a CSV: the utility's in-use meters of this kind in the registry"
    )


class DrawIn(BaseModel):
    seed: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Omit to let the platform draw and record one"
    )


class ResultIn(BaseModel):
    meter_no: str = Field(min_length=1, max_length=64)
    outcome: Literal["conforming", "nonconforming", "inaccessible"]
    error_pct: float | None = Field(None, ge=-100, le=100)


class ResultsIn(BaseModel):
    results: list[ResultIn] = Field(min_length=1, max_length=500)


@router.get("/rules", name="lot_rules", summary="The regional lot rules (data: edition, sources, plans)")
def rules() -> list[dict[str, Any]]:
    return [rule_data(k) for k in rule_codes()]


@router.get("", name="lots", summary="Lots the caller may see, newest first")
def lots(
    caller: Caller,
    session: SessionDep,
    status: Annotated[Literal["formed", "sampled", "decided", "published"] | None, Query()] = None,
) -> list[dict[str, Any]]:
    return [svc.lot_dict(lot) for lot in svc.list_lots(session, caller, status)]


@router.post("", name="form_lots", status_code=201, summary="Form the rule's lots from a meter list")
def form_lots(body: FormIn, caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    if (body.meters_csv is None) == (body.from_registry is None):
        raise InputError("give meters_csv or from_registry, not both or neither")
    if body.meters_csv is not None:
        rows = svc.parse_meter_csv(body.meters_csv)
    else:
        rows = svc.registry_rows(session, caller, kind=str(body.from_registry), org_id=body.org_id)
    formed = svc.form(session, caller, rule_key=body.rule, rows=rows, org_id=body.org_id, run_id=body.run_id)
    return [svc.lot_dict(lot) for lot in formed]


@router.get("/lookup", name="lot_lookup", summary="Published lot decisions for a meter number (public)")
def lookup(
    session: SessionDep, meter_no: Annotated[str, Query(min_length=1, max_length=64)]
) -> list[dict[str, Any]]:
    return svc.lookup_meter(session, meter_no)


@router.get("/{lot_id}", name="lot", summary="A lot with its sample list and results")
def lot(lot_id: LotId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    view = svc.lot_view(session, caller, lot_id)
    return {
        **svc.lot_dict(view.lot),
        "rows": view.sample,
        "tested": view.tested,
        "d": view.d,
        "actions": view.actions,
    }


@router.post("/{lot_id}/sample", name="draw_lot", summary="Draw the lot's sample from a recorded seed")
def draw(lot_id: LotId, body: DrawIn, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    return svc.lot_dict(svc.draw(session, caller, lot_id, body.seed))


@router.post("/{lot_id}/results", name="record_lot_results", summary="Record field results of sampled meters")
def results(lot_id: LotId, body: ResultsIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    entries = [svc.ResultEntry(r.meter_no, r.outcome, r.error_pct) for r in body.results]
    return svc.lot_dict(svc.record_results(session, caller, lot_id, entries))


@router.post("/{lot_id}/decide", name="decide_lot", summary="Decide the lot: extend by N years or replace")
def decide(clock: ClockDep, lot_id: LotId, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    return svc.lot_dict(svc.decide(session, caller, lot_id, clock.now()))


@router.post("/{lot_id}/publish", name="publish_lot", summary="Publish a decided lot")
def publish(clock: ClockDep, lot_id: LotId, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    return svc.lot_dict(svc.publish(session, caller, lot_id, clock.now()))
