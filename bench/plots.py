"""Plots of saved results (matplotlib Figure + Agg canvas: no display, no pyplot state).

- `<stem>.pareto.png`: accuracy against p50 latency, one panel per batch size, every variant of
  every network as a marker (colour = network, shape = backend + precision, so no text labels
  overlap), and the Pareto front (no other variant is both faster and more accurate) drawn as a
  step line: pick the front's point left of your latency budget.
- `<stem>.latency.png`: p50 latency against batch size, one line per network/backend/precision.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from mnx.bench.records import BenchResults, BenchRow
from mnx.bench.table import sort_key

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p")


def draw_plots(results: BenchResults, stem: Path) -> list[Path]:
    """Draw the plots next to `stem`; returns the files written (none if nothing measured)."""
    rows = [r for r in results.measured() if r.p50_ms and r.batch_size is not None]
    if not rows:
        return []
    out = [_latency_plot(rows, stem.with_name(stem.name + ".latency.png"))]
    if any(r.accuracy is not None for r in rows):  # external models may have no labelled data
        out.append(pareto_plot(rows, stem.with_name(stem.name + ".pareto.png")))
    return out


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (latency, accuracy) points no other point beats on both, by rising latency."""
    front: list[tuple[float, float]] = []
    for lat, acc in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or acc > front[-1][1]:
            front.append((lat, acc))
    return front


def log_ticks(lo: float, hi: float, most: int = 8) -> list[float]:
    """Readable ticks covering [lo, hi]: 1-2-5 per decade; on a short range 1-1.5-2-3-4-5-7 (then
    three round values spread evenly in log space); on a long one powers of ten (every other
    one, ...) so that at most `most` remain."""

    def ticks(mantissas: tuple[float, ...], step: int = 1) -> list[float]:
        first, last = math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1
        return [
            float(f"{m * 10.0**k:.6g}")
            for k in range(first, last + 1)
            if k % step == 0
            for m in mantissas
            if lo <= m * 10.0**k <= hi
        ]

    out = ticks((1, 2, 5))
    if len(out) < 3:
        out = ticks((1, 1.5, 2, 3, 4, 5, 7))
    if len(out) < 3:  # less than a factor of ~1.5: three evenly spread, two significant figures
        logs = np.linspace(math.log10(lo), math.log10(hi), 5)[1:4]
        return [float(f"{10.0**v:.2g}") for v in logs]
    step = 1
    while len(out) > most:
        out = ticks((1,), step)
        step += 1
    return out


def _tick_label(v: float) -> str:
    return f"{v:,.0f}" if v >= 1000 else f"{v:g}"


def _style_log_x(ax: Any, values: list[float]) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    lo, hi = min(values) / 1.4, max(values) * 1.4
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(FixedLocator(log_ticks(lo, hi)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _tick_label(v)))
    ax.xaxis.set_minor_locator(NullLocator())


def _style_accuracy_y(ax: Any, values: list[float]) -> None:
    """Plain percentages (no '+9.7e1' offset), at least 1 pp of range around the points."""
    from matplotlib.ticker import ScalarFormatter

    lo, hi = min(values), max(values)
    pad = max(0.5, (hi - lo) * 0.08)
    ax.set_ylim(lo - pad, min(100.0 + pad / 4, hi + pad))
    formatter = ScalarFormatter(useOffset=False)
    ax.yaxis.set_major_formatter(formatter)


def _variant(r: BenchRow) -> str:
    return f"{r.backend} {r.precision}"


def _styles(rows: list[BenchRow]) -> tuple[dict[str, Any], dict[str, str]]:
    """Colour per network, marker per variant, stable across panels."""
    from matplotlib import colormaps

    networks = sorted({r.network for r in rows})
    palette = colormaps["tab10" if len(networks) <= 10 else "tab20"]
    colours = {n: palette(i % palette.N) for i, n in enumerate(networks)}
    variants = list(dict.fromkeys(_variant(r) for r in sorted(rows, key=sort_key)))
    return colours, {v: MARKERS[i % len(MARKERS)] for i, v in enumerate(variants)}


def pareto_plot(rows: list[BenchRow], path: Path) -> Path:
    """Accuracy vs p50 latency, one panel per batch size, Pareto front per panel."""
    from matplotlib.lines import Line2D

    from mnx.toolkit.plots import new_figure, save_figure

    rows = [r for r in rows if r.accuracy is not None and r.p50_ms]
    batches = sorted({r.batch_size or 0 for r in rows})
    colours, markers = _styles(rows)
    fig = new_figure((4.2 * len(batches) + 2.6, 4.6))
    axes = fig.subplots(1, len(batches), squeeze=False, sharey=True)[0]
    for ax, b in zip(axes, batches, strict=True):
        mine = [r for r in rows if r.batch_size == b]
        for r in mine:
            ax.scatter(
                r.p50_ms,
                100 * (r.accuracy or 0),
                s=46,
                color=colours[r.network],
                marker=markers[_variant(r)],
                edgecolors="black",
                linewidths=0.4,
                zorder=3,
            )
        front = pareto_front([(r.p50_ms or 0, 100 * (r.accuracy or 0)) for r in mine])
        xs, ys = zip(*front, strict=True)
        ax.step(xs, ys, where="post", color="0.35", linestyle="--", linewidth=1, zorder=2)
        _style_log_x(ax, [r.p50_ms or 0 for r in mine])
        ax.set_title(f"batch {b}")
        ax.set_xlabel("p50 latency per batch (ms, log)")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("test accuracy (%)")
    _style_accuracy_y(axes[0], [100 * (r.accuracy or 0) for r in rows])
    handles = [Line2D([], [], color="0.35", linestyle="--", label="Pareto front")]
    handles += [
        Line2D([], [], marker="o", linestyle="", color=c, markeredgecolor="black", label=n)
        for n, c in colours.items()
    ]
    handles += [
        Line2D([], [], marker=m, linestyle="", color="0.6", markeredgecolor="black", label=v)
        for v, m in markers.items()
    ]
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle("Accuracy vs latency: faster is left, better is up")
    fig.tight_layout()
    return save_figure(fig, path)


def _latency_plot(rows: list[BenchRow], path: Path) -> Path:
    from mnx.toolkit.plots import new_figure, save_figure

    colours, markers = _styles(rows)
    fig = new_figure((8.0, 5.0))
    ax = fig.add_subplot(1, 1, 1)
    series: dict[tuple[str, str], list[BenchRow]] = {}
    for r in sorted(rows, key=sort_key):
        series.setdefault((r.network, _variant(r)), []).append(r)
    one_network = len(colours) == 1  # then colour tells the variants apart too
    for i, ((network, variant), rs) in enumerate(series.items()):
        ax.plot(
            [float(r.batch_size or 0) for r in rs],
            [float(r.p50_ms or 0) for r in rs],
            marker=markers[variant],
            color=f"C{i % 10}" if one_network else colours[network],
            label=f"{network} {variant}",
        )
    ax.set_xscale("log", base=2)
    batches = sorted({r.batch_size for r in rows if r.batch_size})
    ax.set_xticks(batches, [str(b) for b in batches])  # label the measured sizes: 1, 32, 256
    ax.xaxis.set_minor_locator(_null())
    ys = [r.p50_ms or 0 for r in rows]
    ax.set_yscale("log")
    ax.set_ylim(min(ys) / 1.4, max(ys) * 1.4)
    from matplotlib.ticker import FixedLocator, FuncFormatter

    ax.yaxis.set_major_locator(FixedLocator(log_ticks(min(ys) / 1.4, max(ys) * 1.4)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _tick_label(v)))
    ax.yaxis.set_minor_locator(_null())
    ax.set_xlabel("batch size")
    ax.set_ylabel("p50 latency per batch (ms, log)")
    ax.set_title("Latency vs batch size")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return save_figure(fig, path)


def _null() -> Any:
    from matplotlib.ticker import NullLocator

    return NullLocator()
