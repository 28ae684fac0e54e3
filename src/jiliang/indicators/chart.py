"""An indicator's trend as SVG text: monthly values, the target line and the projection with its
prediction interval (presentation attributes only: no style or script, for the CSP)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

__all__ = ["trend_svg"]

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 260, 56, 16, 16, 36


def trend_svg(
    points: Sequence[tuple[date, float]],
    target: tuple[date, float] | None = None,
    projection: tuple[date, float, float, float] | None = None,
    title: str = "",
) -> str:
    """SVG of the values, the target (dashed) and the projection (ŷ with its interval).

    >>> svg = trend_svg([(date(2025, 1, 31), 1.0), (date(2025, 2, 28), 2.0)], (date(2025, 12, 31), 5.0))
    >>> svg.startswith("<svg") and "polyline" in svg and "style=" not in svg
    True
    """
    dates = [d for d, _ in points] + ([target[0]] if target else []) + ([projection[0]] if projection else [])
    values = [v for _, v in points] + ([target[1]] if target else [])
    if projection:
        values += [projection[2], projection[3]]
    if not dates:
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 40" role="img" aria-label="{escape(title)}"></svg>'
    d0, d1 = min(dates), max(dates)
    span = max((d1 - d0).days, 1)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or max(abs(hi) * 0.1, 1.0)
    lo, hi = lo - pad, hi + pad
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(d: date) -> float:
        return LEFT + pw * (d - d0).days / span

    def y(v: float) -> float:
        return TOP + ph * (hi - v) / (hi - lo)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="trend">',
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>',
    ]
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        out.append(f'<text x="{LEFT - 4}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{v:.3g}</text>')
    for d, anchor in ((d0, "start"), (d1, "end")) if d1 != d0 else ((d0, "start"),):
        out.append(
            f'<text x="{x(d):.1f}" y="{HEIGHT - 12}" font-size="11" text-anchor="{anchor}">{d.isoformat()[:7]}</text>'
        )
    if target:
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y(target[1]):.1f}" y2="{y(target[1]):.1f}" '
            'stroke="#b03030" stroke-dasharray="6 4"/>'
        )
    if projection and points:
        last_d, last_v = points[-1]
        pd, py, plo, phi = projection
        out.append(
            f'<polygon points="{x(last_d):.1f},{y(last_v):.1f} {x(pd):.1f},{y(phi):.1f} {x(pd):.1f},{y(plo):.1f}" '
            'fill="#9bb7d4" fill-opacity="0.4" stroke="none"/>'
        )
        out.append(
            f'<line x1="{x(last_d):.1f}" y1="{y(last_v):.1f}" x2="{x(pd):.1f}" y2="{y(py):.1f}" '
            'stroke="#2f5d8a" stroke-dasharray="3 3"/>'
        )
    if points:
        coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
        out.append(f'<polyline points="{coords}" fill="none" stroke="#2f5d8a" stroke-width="2"/>')
        for d, v in points:
            out.append(
                f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3" fill="#2f5d8a"><title>{d.isoformat()[:7]}: {v:.4g}</title></circle>'
            )
    out.append("</svg>")
    return "".join(out)
