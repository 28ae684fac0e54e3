"""The receipt (受理回执) of an accepted booking as a one-page PDF.

Number, date of acceptance, owner, verifier, send-in or on-site, preferred and scheduled dates,
the instruments. Chinese text uses reportlab's built-in CID font ``STSong-Light``, so no font file
is needed (as the certificate PDFs do).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from jiliang.errors import ConflictError
from jiliang.verification.bookings import BookingView

__all__ = ["receipt_pdf"]

_MODE = {"send_in": "送检 / send-in", "on_site": "现场检定 / on site"}


def receipt_pdf(b: BookingView) -> bytes:
    """The receipt of ``b``; 409 while the booking has not been accepted."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    if b.receipt_no is None or b.accepted_at is None:
        raise ConflictError(f"booking {b.id} has not been accepted: no receipt yet", code="no_receipt")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    title = ParagraphStyle("t", fontName="STSong-Light", fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=10, leading=14)
    rows = [
        ["回执编号 Receipt no.", b.receipt_no],
        ["受理日期 Accepted on", b.accepted_at.date().isoformat()],
        ["申请单位 Owner", b.owner_name],
        ["检定机构 Verifier", b.lab_name],
        ["检定方式 Mode", _MODE.get(b.mode, b.mode)],
        ["希望日期 Preferred date", b.preferred_on.isoformat()],
        ["安排日期 Scheduled", b.scheduled_on.isoformat() if b.scheduled_on else "—"],
        ["联系人 Contact", b.contact or "—"],
    ]
    items = [["器具 Instrument", "出厂编号 Serial"]] + [[i.type_name, i.serial] for i in b.items]
    para = [[Paragraph(escape(str(c)), body) for c in r] for r in rows]
    para_items = [[Paragraph(escape(str(c)), body) for c in r] for r in items]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"受理回执 {b.receipt_no}")
    doc.build(
        [
            Paragraph("计量器具强制检定受理回执<br/>Receipt of a verification booking", title),
            Spacer(1, 12),
            Table(para, colWidths=[150, 330]),
            Spacer(1, 12),
            Table(para_items, colWidths=[240, 240]),
            Spacer(1, 12),
            Paragraph(
                escape(
                    f"本回执由检定机构在平台上受理时生成，申请号 {b.id}。 Generated when the verifier accepted booking {b.id}."
                ),
                body,
            ),
        ]
    )
    return out.getvalue()
