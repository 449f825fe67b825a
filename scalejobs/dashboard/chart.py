"""Lay out the throughput chart as SVG coordinates; the template draws them.

Server-side geometry keeps the dashboard free of any front-end stack: the
page is plain HTML and SVG, in the admin's colours, readable without JS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .values import MinuteCount

# Room on the left for the y labels, and at the bottom for the x labels.
LEFT = 40
BOTTOM = 20
TOP = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    """A line chart of processed and failed jobs per minute."""

    width: int
    height: int
    # SVG polyline ``points`` attributes.
    processed: str
    failed: str
    peak: int
    # Baseline and top of the plot area, in SVG units.
    bottom: int
    top: int
    left: int
    # (x, label, SVG text-anchor) under the x axis; numbers as text, never localized.
    ticks: tuple[tuple[str, str, str], ...]
    total_processed: int
    total_failed: int


def throughput_chart(minutes: Sequence[MinuteCount], *, width: int = 720, height: int = 180) -> Chart:
    """Return the chart of ``minutes`` (oldest first), scaled to the busiest minute."""
    peak = max([1, *(m.processed for m in minutes), *(m.failed for m in minutes)])
    plot_width = width - LEFT - 4
    plot_height = height - BOTTOM - TOP
    step = plot_width / max(1, len(minutes) - 1)

    def points(values: Sequence[int]) -> str:
        return " ".join(
            f"{LEFT + index * step:.1f},{TOP + plot_height * (1 - value / peak):.1f}" for index, value in enumerate(values)
        )

    count = len(minutes)
    ticks = tuple(
        (f"{LEFT + index * step:.1f}", "now" if index == count - 1 else f"-{count - 1 - index} min", _anchor(index, count))
        for index in range(count)
        if (count - 1 - index) % 15 == 0
    )
    return Chart(
        width=width,
        height=height,
        processed=points([m.processed for m in minutes]),
        failed=points([m.failed for m in minutes]),
        peak=peak,
        bottom=TOP + plot_height,
        top=TOP,
        left=LEFT,
        ticks=ticks,
        total_processed=sum(m.processed for m in minutes),
        total_failed=sum(m.failed for m in minutes),
    )


def _anchor(index: int, count: int) -> str:
    # The labels at either end must not run off the chart.
    return "end" if index == count - 1 else "start" if index == 0 else "middle"
