"""The reported-vs-reproduced figure: left, the notebook's test accuracy against ours, one point
per network; right, the difference per network, where the names do not overlap.

A network run with several seeds is drawn at our mean with its seed range as a solid error bar
and each seed as a dot; a single-seed network keeps the faint whiskers of its last epochs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnx.workflows.reproduce.reported import FLAG_PP, SWING_EPOCHS
from mnx.workflows.reproduce.rows import ReproRow
from mnx.workflows.reproduce.stats import group_by_network, seed_stats

ZOOM_PP = 3.0  # the left panel shows networks within this of the median notebook figure
COLORS = {
    "000": "tab:blue",
    "001": "tab:orange",
    "002": "tab:green",
    "003": "tab:red",
    "004": "tab:purple",
}


@dataclass(frozen=True)
class _Point:
    """One network in percent: the notebook's figure, our mean, and the spreads to draw."""

    name: str
    notebook: str
    seed_nb: float
    ours: float
    seeds: tuple[float, ...]  # each seed's test accuracy; one entry for a single run
    last_epochs: tuple[float, ...]  # our last epochs (single-seed networks only)
    seed_nb_last: tuple[float, ...]
    diff_last_mean: float | None

    @property
    def multi(self) -> bool:
        return len(self.seeds) > 1

    @property
    def color(self) -> str:
        return COLORS.get(self.notebook, "grey")


def _points(rows: Sequence[ReproRow]) -> list[_Point]:
    points = []
    for group in group_by_network(rows).values():
        s, first = seed_stats(group), group[0]
        if s.reported is None:
            continue
        single = s.n == 1
        points.append(
            _Point(
                name=s.name,
                notebook=s.notebook,
                seed_nb=100 * s.reported,
                ours=100 * s.mean,
                seeds=tuple(100 * a for a in s.accuracies),
                last_epochs=tuple(100 * a for a in first.last_test_accuracies) if single else (),
                seed_nb_last=tuple(100 * a for a in first.reported_last_test_accuracies),
                diff_last_mean=first.diff_last_mean_pp if single else None,
            )
        )
    return points


def plot_reported_vs_ours(rows: Sequence[ReproRow], path: Path) -> Path | None:
    """Write the figure to `path` (PNG); None when no network has a reported figure."""
    points = _points(rows)
    if not points:
        return None
    from mnx.toolkit.plots import pyplot

    plt = pyplot()

    from mnx.toolkit.artifacts import atomic_path

    height = max(7.0, 0.28 * len(points) + 2.0)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, height), gridspec_kw={"width_ratios": [1.1, 1]})
    _scatter(ax, points)
    _differences(bx, points)
    if not all(r.full_recipe for r in rows):
        partial = sorted({r.name for r in rows if not r.full_recipe})
        which = ", ".join(partial) if len(partial) <= 4 else f"{len(partial)} networks"
        fig.suptitle(
            "PARTIAL RUNS, not a reproduction: fewer epochs or images than the seed's recipe "
            f"for {which}",
            color="tab:red",
            fontsize=11,
        )
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def _spread(center: float, values: Sequence[float]) -> list[list[float]] | None:
    """Error-bar extents from `center` to the values' min and max."""
    if not values:
        return None
    return [[max(0.0, center - min(values))], [max(0.0, max(values) - center)]]


def _main_cluster(points: Sequence[_Point]) -> tuple[list[_Point], list[_Point]]:
    """Points within ZOOM_PP of the median notebook figure, and the rest: one weak network
    (linear, 91.6 %) would otherwise squeeze every other point into one corner."""
    xs = sorted(p.seed_nb for p in points)
    median = xs[len(xs) // 2]
    near = [p for p in points if p.seed_nb >= median - ZOOM_PP]
    return near, [p for p in points if p.seed_nb < median - ZOOM_PP]


def _scatter(ax: Any, everything: Sequence[_Point]) -> None:
    points, away = _main_cluster(everything)
    for nb in sorted({p.notebook for p in points}):
        sel = [p for p in points if p.notebook == nb]
        ax.scatter([p.seed_nb for p in sel], [p.ours for p in sel], label=f"notebook {nb}",
                   color=COLORS.get(nb), s=40, zorder=3)  # fmt: skip
        for p in sel:
            ax.errorbar(p.seed_nb, p.ours, xerr=_spread(p.seed_nb, p.seed_nb_last),
                        yerr=_spread(p.ours, p.seeds if p.multi else p.last_epochs),
                        color=p.color, alpha=0.9 if p.multi else 0.35,
                        lw=1.6 if p.multi else 1, capsize=3 if p.multi else 2)  # fmt: skip
            if p.multi:
                ax.scatter([p.seed_nb] * len(p.seeds), p.seeds, s=12, facecolors="none",
                           edgecolors=p.color, zorder=3)  # fmt: skip
    lo = _diagonal(ax, points)
    placed: list[tuple[float, float]] = []
    near = 0.02 * (100.0 - lo)  # points closer than this share a spot: stack their names
    for p in sorted(points, key=lambda q: (q.seed_nb, q.ours)):
        right = p.seed_nb < lo + 0.75 * (
            100.0 - lo
        )  # names right of their point, left near the edge
        stack = sum(abs(x - p.seed_nb) < near and abs(y - p.ours) < near for x, y in placed)
        placed.append((p.seed_nb, p.ours))
        ax.annotate(p.name, (p.seed_nb, p.ours), fontsize=7, xytext=(4 if right else -4, 3 + 9 * stack),
                    textcoords="offset points", ha="left" if right else "right")  # fmt: skip
    multi, single = any(p.multi for p in points), not all(p.multi for p in points)
    kinds = ["bars: our range over seeds (dots: each seed)"] if multi else []
    if single:
        faint = "faint " if multi else ""
        kinds.append(f"{faint}whiskers: range over the last {SWING_EPOCHS} epochs")
    whiskers = "; ".join(kinds)
    hidden = "; ".join(f"{p.name} {p.seed_nb:.2f} → {p.ours:.2f}" for p in away)
    ax.set_title(
        f"Reported vs reproduced test accuracy\n({whiskers})"
        + (f"\noff the axes (see right): {hidden}" if hidden else ""),
        fontsize=10,
    )
    ax.set_xlabel("seed notebook's test accuracy (%)")
    ax.set_ylabel("mnx test accuracy (%)" + (", mean over seeds" if multi else ""))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")  # ours far above the seed's figure: the emptiest corner


def _diagonal(ax: Any, points: Sequence[_Point]) -> float:
    """ours = seed, the ±FLAG_PP band, and square limits that hold every point and bar; returns
    the lower limit."""
    lows = [p.seed_nb for p in points] + [min(p.seeds + p.last_epochs) for p in points]
    lo, hi = min(lows) - 0.3, 100.0
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="ours = seed")
    ax.fill_between([lo, hi], [lo - FLAG_PP, hi - FLAG_PP], [lo + FLAG_PP, hi + FLAG_PP],
                    color="grey", alpha=0.15, label=f"±{FLAG_PP} pp")  # fmt: skip
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    return lo


def _differences(bx: Any, points: Sequence[_Point]) -> None:
    ypos = list(range(len(points)))
    bx.barh(ypos, [p.ours - p.seed_nb for p in points], color=[p.color for p in points],
            alpha=0.8)  # fmt: skip
    labelled: set[str] = set()

    def once(label: str) -> str | None:
        """The label the first time, then None: one legend entry per kind of mark."""
        if label in labelled:
            return None
        labelled.add(label)
        return label

    for y, p in zip(ypos, points, strict=True):
        if p.multi:
            d = [v - p.seed_nb for v in p.seeds]
            bx.plot([min(d), max(d)], [y, y], color="dimgray", lw=3.5, solid_capstyle="butt",
                    label=once("ours over seeds (bar: mean)"))  # fmt: skip
            bx.plot(d, [y] * len(d), "o", color="k", mfc="white", ms=4,
                    label=once("each seed"))  # fmt: skip
        elif p.last_epochs:
            bx.plot([min(p.last_epochs) - p.seed_nb, max(p.last_epochs) - p.seed_nb], [y, y],
                    color="k", lw=1.2, marker="|", ms=8,
                    label=once(f"ours over the last {SWING_EPOCHS} epochs"))  # fmt: skip
        if p.diff_last_mean is not None:
            bx.plot(p.diff_last_mean, y, "D", color="k", ms=5,
                    label=once(f"last-{SWING_EPOCHS} means (seed's log)"))  # fmt: skip
    bx.set_yticks(ypos, [p.name for p in points], fontsize=8)
    bx.invert_yaxis()
    bx.axvline(0, color="k", lw=1)
    for edge in (-FLAG_PP, FLAG_PP):
        bx.axvline(edge, color="grey", ls="--", lw=1)
    bx.set_xlabel("ours − seed notebook (percentage points of test accuracy)")
    bx.set_title(f"Difference per network (dashed: ±{FLAG_PP} pp)", fontsize=10)
    if labelled:  # below the axes: inside, it would cover the last rows
        bx.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, fontsize=8)
    bx.grid(True, axis="x", alpha=0.3)
