"""The audit log page (regulator): who did what, when, in words; filters, pages and a CSV export.

Each entry reads as a sentence — 用户「王处长」于 2026-11-01 09:00 修改了计量器具「ELE…」：状态 在用 →
停用 — built from catalog words: ``code.entity.<table>`` names the kind of entity,
``code.audit_action.<action>`` the action, ``audit.field.<column>`` a changed field; a field's
codes (states, statuses, roles) are translated too. Names, serials and free text are data and are
marked ``translate="no"``. The CSV export holds exactly the filtered entries, each text cell made
formula-safe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jiliang.errors import InputError, PermissionDeniedError
from jiliang.platform.audit_read import AuditFilter, AuditRow, audit_actors, audit_page, audit_rows
from jiliang.platform.auth import Principal
from jiliang.platform.cells import safe_cell
from jiliang.platform.checkpoint import last_checkpoint, verify_anchored
from jiliang.web.deps import LoggedIn, PageSession, clock_of
from jiliang.web.i18n import catalog
from jiliang.web.render import language_of, page

router = APIRouter()

PAGE_SIZE = 50
# catalog prefixes that translate the codes a field holds, tried in order
VALUE_WORDS = {
    "status": ("reg.status.", "dcc.status.", "code.wo_status.", "code.met_status."),
    "state": ("vf.state.",),
    "role": ("role.",),
}
# what a workflow step records about who took it (not a change of the entity)
ACTING = frozenset({"role", "org_id", "lab_id"})
_SLOT = re.compile(r"\{(\w+)\}")
Part = tuple[str, bool]  # text, and whether it is data (not translated)


def _parts(template: str, values: dict[str, list[Part]]) -> list[Part]:
    """``template`` split at its ``{slots}``, each slot replaced by its value."""
    out: list[Part] = []
    pos = 0
    for m in _SLOT.finditer(template):
        if m.start() > pos:
            out.append((template[pos : m.start()], False))
        out.extend(values.get(m.group(1), [(m.group(0), False)]))
        pos = m.end()
    if pos < len(template):
        out.append((template[pos:], False))
    return out


def _value(words: dict[str, str], field: str, value: Any) -> Part:
    if value is None or value == "":
        return "—", False
    if isinstance(value, bool):
        return words["audit.yes" if value else "audit.no"], False
    if isinstance(value, list):
        return "、".join(str(v) for v in value), True
    for prefix in VALUE_WORDS.get(field, ()):
        if f"{prefix}{value}" in words:
            return words[f"{prefix}{value}"], False
    text = str(value)
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*", text):
        text = text[:16].replace("T", " ")
    return text, True


def actor_words(words: dict[str, str], actor: str, name: str) -> Part:
    """A user's display name (data), or the words for the platform's own actors (demo, system)."""
    if name == actor and f"audit.actor.{actor}" in words:
        return words[f"audit.actor.{actor}"], False
    return name, True


def _who(words: dict[str, str], actor: str, name: str) -> list[Part]:
    said = actor_words(words, actor, name)
    return _parts(words["audit.user"], {"name": [said]}) if said[1] else [said]


def describe(lang: str, row: AuditRow) -> dict[str, Any]:
    """The entry's sentence and its changed fields, as parts for the template and as plain text."""
    words = catalog(lang)
    entity = words.get(f"code.entity.{row.entity}", row.entity)
    action = words.get(f"code.audit_action.{row.action}", row.action)
    values: dict[str, list[Part]] = {
        "who": _who(words, row.actor, row.actor_name),
        "at": [(row.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"), True)],
        "entity": [(entity, False)],
        "label": [(row.label or row.entity_id, True)],
        "action": [(action, False)],
    }
    key = f"audit.says.{row.action}" if f"audit.says.{row.action}" in words else "audit.says.other"
    sentence = _parts(words[key], values)
    changes: list[list[Part]] = []
    hidden = 0
    if row.action not in ("insert", "delete", "login"):
        for field, before, after in row.changes:
            if field in ACTING and row.action not in ("update",):
                continue
            name = words.get(f"audit.field.{field}")
            if name is None:
                hidden += 1
                continue
            changes.append(
                [
                    (name + "：", False),
                    _value(words, field, before),
                    (" → ", False),
                    _value(words, field, after),
                ]
            )
    if hidden:
        changes.append([(words["audit.more_fields"].format(n=hidden), False)])
    note = (row.note, True) if row.note and row.note not in ("demo", "status job") else None
    text = "".join(p for p, _ in sentence)
    if changes:
        text += "：" + "；".join("".join(p for p, _ in c) for c in changes)
    if note:
        text += f"（{note[0]}）"
    return {"row": row, "sentence": sentence, "changes": changes, "note": note, "text": text}


PLATFORM_ACTORS = ("demo", "system")


def _coded(words: dict[str, str], prefix: str) -> list[tuple[str, str]]:
    return [(k[len(prefix) :], v) for k, v in words.items() if k.startswith(prefix)]


def _date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{field}: not a date (YYYY-MM-DD)") from None


def _filter(request: Request) -> AuditFilter:
    q = request.query_params
    return AuditFilter(
        actor=q.get("actor") or None,
        entity=q.get("entity") or None,
        action=q.get("action") or None,
        since=_date(q.get("since"), "since"),
        until=_date(q.get("until"), "until"),
    )


def _require(principal: Principal) -> None:
    if not principal.is_regulator:
        raise PermissionDeniedError("only the regulator reads the audit log")


def _query(flt: AuditFilter, **extra: object) -> str:
    fields = {
        "actor": flt.actor,
        "entity": flt.entity,
        "action": flt.action,
        "since": flt.since.isoformat() if flt.since else None,
        "until": flt.until.isoformat() if flt.until else None,
        **extra,
    }
    return urlencode({k: v for k, v in fields.items() if v not in (None, "", 0)})


def _page(
    request: Request, principal: LoggedIn, session: PageSession, offset: int, check: object
) -> Response:
    _require(principal)
    lang = language_of(request)
    error = None
    try:
        flt = _filter(request)
    except InputError as exc:
        flt, error = AuditFilter(), str(exc)
    offset = max(0, min(offset, 10_000_000))
    rows, total, more = audit_page(session, flt, offset, PAGE_SIZE)
    words = catalog(lang)
    # the lists are the catalog's words and the users (no pass over the log)
    actors = [(a, actor_words(words, a, a)) for a in PLATFORM_ACTORS]
    actors += [(u, (d, True)) for u, d in audit_actors(session)]
    return page(
        request,
        "audit.html",
        principal,
        entries=[describe(lang, r) for r in rows],
        check=check,
        offset=offset,
        total=total,
        page_size=PAGE_SIZE,
        flt=flt,
        error=error,
        more=more,
        actors=actors,
        entities=sorted(_coded(words, "code.entity."), key=lambda kv: kv[1]),
        actions=sorted(_coded(words, "code.audit_action."), key=lambda kv: kv[1]),
        newer_qs=_query(flt, offset=max(offset - PAGE_SIZE, 0)),
        older_qs=_query(flt, offset=offset + PAGE_SIZE),
        export_qs=_query(flt, lang=lang),
        checkpoint=last_checkpoint(session),
    )


@router.get("/audit", name="audit_page")
def audit_view(request: Request, principal: LoggedIn, session: PageSession, offset: int = 0) -> Response:
    """The newest entries (filtered) and the last signed checkpoint; the chain is checked on
    demand (it reads every entry) against the checkpoints."""
    return _page(request, principal, session, offset, None)


@router.get("/audit/export.csv", name="audit_export")
def audit_export(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    """The filtered entries as CSV (UTF-8 with BOM), the same sentences the page shows."""
    _require(principal)
    lang = language_of(request)
    flt = _filter(request)
    words = catalog(lang)
    header = [
        words[k]
        for k in ("audit.seq", "audit.at", "audit.actor", "audit.action", "audit.entity", "audit.what")
    ]

    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow(header)
    for row in audit_rows(session, flt):
        said = describe(lang, row)
        writer.writerow(
            [
                row.seq,
                row.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                safe_cell(actor_words(words, row.actor, row.actor_name)[0]),
                safe_cell(words.get(f"code.audit_action.{row.action}", row.action)),
                safe_cell(
                    words.get(f"code.entity.{row.entity}", row.entity) + " " + (row.label or row.entity_id)
                ),
                safe_cell(said["text"]),
            ]
        )

    name = f"audit-{clock_of(request).today().isoformat()}.csv"
    return Response(
        buf.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/audit/verify", name="audit_verify")
def audit_verify(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    _require(principal)
    data_dir = request.app.state.settings.data_dir
    return _page(request, principal, session, 0, verify_anchored(session, data_dir))
