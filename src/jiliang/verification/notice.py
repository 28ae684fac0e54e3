"""The notice of failure (检定结果通知书) of an instrument that failed verification, as a PDF.

Its number is the registry record's ``notice_no``; it names the owner, the instrument, the JJG, the
standards used, each test point with its error, MPE, U and the decision, the conclusion 不合格, and
the persons who verified and approved (印证办法 §5–8). Built from
:func:`jiliang.registry.service.record_with_context`.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session

from jiliang.errors import NotFoundError
from jiliang.platform.auth import Principal
from jiliang.registry.records import RecordContext
from jiliang.verification.bookings import _load
from jiliang.verification.models import BookingItem

__all__ = ["notice_pdf", "render_notice"]


def notice_pdf(session: Session, principal: Principal, booking_id: int, instrument_id: int) -> bytes:
    """The notice of failure of ``instrument_id`` in the booking (owner, verifier, regulator)."""
    from jiliang.registry.service import record_with_context

    b = _load(session, principal, booking_id)
    item = session.get(BookingItem, (b.id, instrument_id))
    if item is None or item.verification_id is None or item.notice_no is None:
        raise NotFoundError(f"no notice of failure for instrument {instrument_id} in booking {booking_id}")
    ctx = record_with_context(session, item.verification_id)
    return render_notice(ctx, item.performer or "—", item.approver or "—")


def _p(text: Any, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)


def render_notice(ctx: RecordContext, performer: str, approver: str) -> bytes:
    """A one-page PDF of the notice (pure rendering of the record's plain data)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    title = ParagraphStyle("t", fontName="STSong-Light", fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=10, leading=14)
    inst, itype = ctx.instrument, ctx.instrument.type
    facts = [
        ("通知书编号 Notice no.", ctx.notice_no),
        ("送检单位 Owner", ctx.owner.name if ctx.owner else "—"),
        ("器具名称 Instrument", f"{itype.name} / {itype.name_en or ''}"),
        ("型号规格 Model", inst.model or "—"),
        ("出厂编号 Serial", inst.serial),
        ("制造单位 Manufacturer", inst.manufacturer or "—"),
        ("检定依据 Regulation", itype.regulation or "—"),
        ("检定日期 Verified on", ctx.verified_on.isoformat()),
        ("检定机构 Verifier", ctx.lab.name if ctx.lab else "—"),
        ("计量标准 Standards", "; ".join(f"{s.code} {s.name}" for s in ctx.standards) or "—"),
    ]
    points = [["检定点 Point", "误差 Error %", "MPE %", "U (k) %", "判定 Decision"]] + [
        [
            e["point"],
            f"{e['error']:+g}",
            f"±{e['mpe']:g}",
            f"{e.get('U', '—')} ({e.get('k', 2):g})",
            e.get("decision", "—"),
        ]
        for e in ctx.errors
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"检定结果通知书 {ctx.notice_no}")
    doc.build(
        [
            Paragraph("检定结果通知书<br/>Notice of failure in verification", title),
            Spacer(1, 12),
            Table([[_p(a, body), _p(b, body)] for a, b in facts], colWidths=[150, 330]),
            Spacer(1, 12),
            Table([[_p(c, body) for c in row] for row in points], colWidths=[80, 90, 80, 100, 130]),
            Spacer(1, 12),
            _p(
                "结论：不合格。该计量器具不得继续使用。 Conclusion: failed; the instrument must not be used.",
                body,
            ),
            Spacer(1, 18),
            _p(f"检定员 Verified by: {performer}    批准人 Approved by: {approver}", body),
        ]
    )
    return out.getvalue()
