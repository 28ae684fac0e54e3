"""A CJK font embedded in certificate PDFs: the glyphs a document uses, as a TrueType subset.

reportlab embeds TrueType (``glyf``) fonts only, while the common CJK fonts (Noto Sans CJK, Source
Han Sans) are OpenType/CFF. So the characters of a document are taken from the font file with
fontTools, their cubic outlines converted to quadratic ones (cu2qu), and a small TrueType font
is built from them; reportlab then subsets and embeds it. Every PDF therefore carries its own
glyphs (``pdffonts`` shows the font embedded) and displays the same in every viewer.

The font file is found in :data:`FONT_CANDIDATES` (Debian/Ubuntu ``fonts-noto-cjk`` and others)
or given explicitly. Source fonts and converted glyphs are cached per process.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jiliang.dcc.errors import DccError

__all__ = ["FONT_CANDIDATES", "find_font", "register_font"]

FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/OTF/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
"""Font files tried in order when none is configured (simplified-Chinese faces are preferred)."""

_LOCK = threading.Lock()


def find_font(configured: Path | None = None) -> Path:
    """The CJK font file to use: ``configured`` if given, else the first of :data:`FONT_CANDIDATES`."""
    if configured is not None:
        if not configured.is_file():
            raise DccError(f"the PDF font {configured} does not exist")
        return configured
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise DccError(
        "no CJK font file found for certificate PDFs: install fonts-noto-cjk or set JILIANG_DCC_PDF_FONT"
    )


@dataclass
class _Source:
    """One face of a font file, loaded lazily, with the outlines converted so far."""

    font: Any
    cmap: dict[int, str]
    glyph_set: Any
    glyphs: dict[str, Any] = field(default_factory=dict)

    def glyph(self, name: str) -> Any:
        from fontTools.pens.cu2quPen import Cu2QuPen
        from fontTools.pens.ttGlyphPen import TTGlyphPen

        if name not in self.glyphs:
            pen = TTGlyphPen(None)
            self.glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            self.glyphs[name] = pen.glyph()
        return self.glyphs[name]


def _face_index(path: Path) -> int:
    """In a collection, the simplified-Chinese face (``… SC``); else the first."""
    from fontTools.ttLib import TTCollection

    if path.suffix.lower() != ".ttc":
        return -1
    with TTCollection(str(path), lazy=True) as collection:
        for i, face in enumerate(collection.fonts):
            family = face["name"].getDebugName(1) or ""
            if family.endswith(" SC") or "Hei" in family or "YaHei" in family:
                return i
    return 0


@cache
def _source(path: Path) -> _Source:
    from fontTools.ttLib import TTFont

    index = _face_index(path)
    data = io.BytesIO(path.read_bytes())  # read lazily from memory: no file handle kept open by the cache
    font = TTFont(data, fontNumber=index, lazy=True) if index >= 0 else TTFont(data, lazy=True)
    return _Source(font, dict(font.getBestCmap()), font.getGlyphSet())


def _subset_ttf(source: _Source, text: str, family: str = "JiliangCJK") -> bytes:
    from fontTools.fontBuilder import FontBuilder

    names = [".notdef"]
    cmap: dict[int, str] = {}
    for ch in sorted(set(text) | {" "}):
        name = source.cmap.get(ord(ch))
        if name is not None:
            cmap[ord(ch)] = name
            if name not in names:
                names.append(name)
    src = source.font
    builder = FontBuilder(src["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap(cmap)
    builder.setupGlyf({n: source.glyph(n) for n in names})
    builder.setupHorizontalMetrics({n: src["hmtx"][n] for n in names})
    builder.setupHorizontalHeader(ascent=src["hhea"].ascent, descent=src["hhea"].descent)
    builder.setupNameTable({"familyName": family, "styleName": "Regular", "psName": family})
    os2 = src["OS/2"]
    builder.setupOS2(
        sTypoAscender=os2.sTypoAscender,
        sTypoDescender=os2.sTypoDescender,
        usWinAscent=os2.usWinAscent,
        usWinDescent=os2.usWinDescent,
        fsType=0,
    )
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def register_font(text: str, configured: Path | None = None) -> str:
    """Register with reportlab a font holding every character of ``text``; its name.

    Characters the font file lacks are drawn as its ``.notdef`` glyph.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = find_font(configured)
    chars = "".join(sorted(set(text)))
    name = "JiliangCJK-" + hashlib.sha256(f"{path}\0{chars}".encode()).hexdigest()[:16]
    with _LOCK:
        if name not in pdfmetrics.getRegisteredFontNames():
            data = _subset_ttf(_source(path), chars, name)
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
    return name
