"""A dependency-free log-log line chart in SVG (time and memory against reps)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def _log_ticks(low: float, high: float) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0**e for e in range(first, last + 1)]


def _label(value: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def panel(
    title: str,
    y_label: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    width: int = 460,
    height: int = 320,
    x_offset: int = 0,
) -> str:
    """One log-log panel; ``series`` maps a name to (x, y) points with positive values."""
    points = [p for values in series.values() for p in values if p[0] > 0 and p[1] > 0]
    if not points:
        return ""
    left, right, top, bottom = 70, 20, 36, 50
    x_ticks = _log_ticks(min(p[0] for p in points), max(p[0] for p in points))
    y_ticks = _log_ticks(min(p[1] for p in points), max(p[1] for p in points))
    lx0, lx1 = math.log10(x_ticks[0]), math.log10(x_ticks[-1]) or 1
    ly0, ly1 = math.log10(y_ticks[0]), math.log10(y_ticks[-1]) or 1
    span_x = (lx1 - lx0) or 1.0
    span_y = (ly1 - ly0) or 1.0

    def sx(x: float) -> float:
        return x_offset + left + (math.log10(x) - lx0) / span_x * (width - left - right)

    def sy(y: float) -> float:
        return top + (1 - (math.log10(y) - ly0) / span_y) * (height - top - bottom)

    parts = [
        f'<text x="{x_offset + width / 2}" y="20" text-anchor="middle" '
        f'font-weight="bold">{escape(title)}</text>'
    ]
    for x in x_ticks:
        parts.append(
            f'<line x1="{sx(x):.1f}" y1="{top}" x2="{sx(x):.1f}" y2="{height - bottom}" '
            'stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{sx(x):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{_label(x)}</text>"
        )
    for y in y_ticks:
        parts.append(
            f'<line x1="{x_offset + left}" y1="{sy(y):.1f}" x2="{x_offset + width - right}" '
            f'y2="{sy(y):.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{x_offset + left - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">'
            f"{_label(y)}</text>"
        )
    parts.append(
        f'<text x="{x_offset + width / 2}" y="{height - 12}" text-anchor="middle">reps</text>'
    )
    parts.append(
        f'<text x="{x_offset + 16}" y="{height / 2}" text-anchor="middle" '
        f'transform="rotate(-90 {x_offset + 16} {height / 2})">{escape(y_label)}</text>'
    )
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        valid = sorted(p for p in values if p[0] > 0 and p[1] > 0)
        if not valid:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in valid)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in valid:
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>')
        legend_y = top + 14 + 16 * index
        parts.append(
            f'<rect x="{x_offset + left + 8}" y="{legend_y - 9}" width="10" height="10" '
            f'fill="{colour}"/><text x="{x_offset + left + 22}" y="{legend_y}">'
            f"{escape(name)}</text>"
        )
    return "\n".join(parts)


def scaling_svg(
    time_series: Mapping[str, Sequence[tuple[float, float]]],
    memory_series: Mapping[str, Sequence[tuple[float, float]]],
) -> str:
    """Two panels side by side: wall time (s) and peak RSS (MB) against reps, log-log."""
    width, height = 460, 320
    body = panel("Wall time", "seconds", time_series, width=width, height=height)
    body += "\n" + panel(
        "Peak memory", "peak RSS (MB)", memory_series, width=width, height=height, x_offset=width
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n'
    )
