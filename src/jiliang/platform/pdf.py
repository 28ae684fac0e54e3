"""Paragraph styles of the platform's PDF reports, in reportlab's built-in Chinese CID font.

``STSong-Light`` needs no font file; it is registered on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CID_FONT", "report_styles"]

CID_FONT = "STSong-Light"


def report_styles(size: float = 9, leading: float = 12, title_size: float = 16) -> tuple[Any, Any, Any]:
    """Body, title and heading styles (CJK line breaking) for a report's text of ``size`` points."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    body = ParagraphStyle("b", fontName=CID_FONT, fontSize=size, leading=leading, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=title_size, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11, leading=15, spaceBefore=6, spaceAfter=3)
    return body, h1, h2
