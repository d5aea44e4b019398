"""The timeline as SVG, drawn from the plotted data (see ``timeline_svg``)."""

from __future__ import annotations

import datetime as dt
from html import escape as _html_escape
from zoneinfo import ZoneInfo

import numpy as np
from PySide6.QtCore import Qt

LABEL_WIDTH, LANE_HEIGHT, AXIS_HEIGHT = 300, 64, 30
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
              86400, 172800, 604800)  # fmt: skip


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities (xml.sax.saxutils' escape, whose import pulled in
    urllib and http: 28 ms of the window's start)."""
    return _html_escape(text, quote=False)


def timeline_svg(view, caption: str = "") -> str:
    """The visible lanes over the visible range as SVG, drawn from the plotted data.

    Not pyqtgraph's SVGExporter: Qt's SVG writer keeps 6 significant digits, too few for times
    in Unix seconds (every point of a lane lands on one x; pyqtgraph issue 2661), and the
    exporter fails on closed paths (issue 3495)."""
    keys, (lo, hi) = view.visible_keys(), view.current_range()
    width = max(int(view.graphics.width()), 640)
    plot_w, height = width - LABEL_WIDTH - 8, len(keys) * LANE_HEIGHT + AXIS_HEIGHT + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="#ffffff"/>']  # fmt: skip

    def fx(x):
        return LABEL_WIDTH + (np.asarray(x, dtype=float) - lo) / (hi - lo) * plot_w

    for i, key in enumerate(keys):
        lane, top = view.plots[key], i * LANE_HEIGHT
        y_lo, y_hi = lane.view.viewRange()[1]

        def fy(y, top=top, y_lo=y_lo, y_hi=y_hi):
            share = (np.asarray(y, dtype=float) - y_lo) / ((y_hi - y_lo) or 1.0)
            return top + LANE_HEIGHT - 3 - share * (LANE_HEIGHT - 6)

        label = escape(view.labels.get(key, str(key)))
        out.append(f'<text x="{LABEL_WIDTH - 36}" y="{top + LANE_HEIGHT / 2 + 4}" '
                   f'text-anchor="end" font-size="10">{label}</text>')  # fmt: skip
        out.append(f'<text x="{LABEL_WIDTH - 4}" y="{top + 11}" text-anchor="end" fill="#666666" '
                   f'font-size="9">{y_hi:.3g}</text>')  # fmt: skip
        out.append(f'<defs><clipPath id="lane{i}"><rect x="{LABEL_WIDTH}" y="{top}" '
                   f'width="{plot_w}" height="{LANE_HEIGHT}"/></clipPath></defs>'
                   f'<g clip-path="url(#lane{i})">')  # fmt: skip
        for a, b in lane.bursts.spans:
            out.append(f'<rect x="{float(fx(a)):.1f}" y="{top}" width="{max(float(fx(b) - fx(a)), 0.5):.1f}" '
                       f'height="{LANE_HEIGHT}" {_colour("fill", lane.bursts.brush.color())}/>')  # fmt: skip
        for t, pen in lane.markers.lines:
            x = float(fx(t))
            dash = ' stroke-dasharray="4 3"' if pen.style() != Qt.PenStyle.SolidLine else ""
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + LANE_HEIGHT}" '
                       f'{_colour("stroke", pen.color())}{dash}/>')  # fmt: skip
        # Curves and the brush; never the mouse's cursor line.
        for item in lane.shown_curves():
            out.extend(_svg_item(item, fx, fy, (lo, hi), top))
        out.append(f'</g><rect x="{LABEL_WIDTH}" y="{top}" width="{plot_w}" height="{LANE_HEIGHT}" '
                   f'fill="none" stroke="#999999"/>')  # fmt: skip
    base = len(keys) * LANE_HEIGHT + 18
    zone = ZoneInfo(getattr(view, "zone", "UTC"))
    step = next((s for s in TICK_STEPS if (hi - lo) / s <= 8), TICK_STEPS[-1])
    form = "%H:%M:%S" if step < 60 else "%H:%M" if step < 86400 else "%Y-%m-%d"
    for t in np.arange(np.ceil(lo / step) * step, hi, step):
        when = dt.datetime.fromtimestamp(float(t), dt.UTC).astimezone(zone)
        out.append(f'<text x="{fx(t):.1f}" y="{base}" text-anchor="middle">{when:{form}}</text>')
    start = dt.datetime.fromtimestamp(lo, dt.UTC).astimezone(zone)
    out.append(f'<text x="8" y="{base}">{start:%Y-%m-%d} {escape(start.tzname() or "")}</text>')
    if caption:
        out.append(f'<text x="8" y="{base + 20}" fill="#444444">{escape(caption)}</text>')
    return "\n".join([*out, "</svg>"]) + "\n"


def _colour(kind: str, colour) -> str:
    return f'{kind}="{colour.name()}" {kind}-opacity="{colour.alphaF():.2f}"'


def _svg_item(item, fx, fy, span: tuple[float, float], top: float) -> list[str]:
    """One plot item: a region (burst, brush), a vertical line (marker, cursor) or a curve."""
    import pyqtgraph as pg

    if isinstance(item, pg.LinearRegionItem):
        a, b = (float(fx(v)) for v in item.getRegion())
        return [f'<rect x="{a:.1f}" y="{top}" width="{max(b - a, 0.5):.1f}" '
                f'height="{LANE_HEIGHT}" {_colour("fill", item.brush.color())}/>']  # fmt: skip
    if isinstance(item, pg.InfiniteLine) and item.angle == 90:
        x = float(fx(item.value()))
        dash = ' stroke-dasharray="4 3"' if item.pen.style() != Qt.PenStyle.SolidLine else ""
        return [f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + LANE_HEIGHT}" '
                f'{_colour("stroke", item.pen.color())}{dash}/>']  # fmt: skip
    if not isinstance(item, pg.PlotDataItem):
        return []
    x, y = item.getData()
    if x is None or not len(x):
        return []
    keep = np.flatnonzero((x >= span[0]) & (x <= span[1]))
    if not len(keep):
        return []
    x, y = x[max(keep[0] - 1, 0) : keep[-1] + 2], y[max(keep[0] - 1, 0) : keep[-1] + 2]
    pen, fill, level = (pg.mkPen(item.opts["pen"]), item.opts.get("fillBrush"),
                        item.opts.get("fillLevel"))  # fmt: skip
    parts = []
    for run in np.split(np.arange(len(y)), np.flatnonzero(~np.isfinite(y))):
        run = run[np.isfinite(y[run])]
        if len(run) < 2:
            continue
        px, py = fx(x[run]), fy(y[run])
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
        if level is not None and fill is not None:
            floor = float(fy(level))
            parts.append(f'<polygon points="{px[0]:.1f},{floor:.1f} {points} {px[-1]:.1f},'
                         f'{floor:.1f}" {_colour("fill", pg.mkBrush(fill).color())}/>')  # fmt: skip
        parts.append(f'<polyline points="{points}" fill="none" {_colour("stroke", pen.color())} '
                     f'stroke-width="{max(pen.widthF(), 1.0):.1f}"/>')  # fmt: skip
    return parts
