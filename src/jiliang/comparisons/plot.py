"""The degrees-of-equivalence (Duewer) plot as SVG text: d_i with ±U(d_i), included labs filled."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["doe_svg"]

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 320, 70, 20, 20, 90


def _short(name: str, most: int = 8) -> str:
    """A lab's name as the axis shows it (the full name is in the point's tooltip).

    >>> _short("滨江市能源计量检测中心")
    '滨江市能源计量…'
    """
    return name if len(name) <= most else name[: most - 1] + "…"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    step = (hi - lo) / n
    return [lo + i * step for i in range(n + 1)]


def doe_svg(doc: dict[str, Any], title: str = "") -> str:
    """SVG of the unilateral DoEs of an ``evaluation_json`` document (zero line = reference value).

    >>> doc = {"labs": [{"lab": "A", "d": 0.1, "U_d": 0.2, "included": True}]}
    >>> doe_svg(doc).startswith("<svg")
    True
    """
    labs = doc["labs"]
    lo = min([0.0, *(d["d"] - d["U_d"] for d in labs)])
    hi = max([0.0, *(d["d"] + d["U_d"] for d in labs)])
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def ypos(v: float) -> float:
        return float(TOP + plot_h * (hi - v) / (hi - lo))

    step = plot_w / max(len(labs), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title or "degrees of equivalence")}" class="doe-plot">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>',
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{ypos(0):.1f}" y2="{ypos(0):.1f}" stroke="#333" stroke-dasharray="4 3"/>',
    ]
    for t in _ticks(lo, hi):
        parts.append(
            f'<text x="{LEFT - 6}" y="{ypos(t) + 4:.1f}" text-anchor="end" font-size="11">{t:.3g}</text>'
        )
    for i, d in enumerate(labs):
        x = LEFT + step * (i + 0.5)
        fill = "#1f5fa8" if d["included"] else "#fff"
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{ypos(d["d"] - d["U_d"]):.1f}" '
            f'y2="{ypos(d["d"] + d["U_d"]):.1f}" stroke="#1f5fa8" stroke-width="2"/>'
        )
        parts.append(
            f'<circle cx="{x:.1f}" cy="{ypos(d["d"]):.1f}" r="4.5" fill="{fill}" stroke="#1f5fa8" '
            f'stroke-width="2"><title>{escape(str(d["lab"]))}: d = {d["d"]:.4g}, '
            f"U(d) = {d['U_d']:.3g}</title></circle>"
        )
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" font-size="11" text-anchor="end" '
            f'transform="rotate(-40 {x:.1f} {TOP + plot_h + 14})">{escape(_short(str(d["lab"])))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
