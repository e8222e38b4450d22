"""Plots of saved results (matplotlib, Agg: no display needed).

- `<stem>.latency.png`: p50 latency against batch size, one line per network/backend/precision,
  log-log axes.
- `<stem>.accuracy.png`: accuracy against p50 latency at batch 1 (or the smallest measured
  batch), one point per variant.
"""

from __future__ import annotations

from pathlib import Path

from mnx.bench.records import BenchResults, BenchRow


def draw_plots(results: BenchResults, stem: Path) -> list[Path]:
    """Draw both plots next to `stem`; returns the files written (none if nothing measured)."""
    rows = [r for r in results.measured() if r.p50_ms is not None and r.batch_size is not None]
    if not rows:
        return []
    import matplotlib

    matplotlib.use("Agg")
    return [
        _latency_plot(rows, stem.with_name(stem.name + ".latency.png")),
        _accuracy_plot(rows, stem.with_name(stem.name + ".accuracy.png")),
    ]


def _label(r: BenchRow) -> str:
    return f"{r.network} {r.backend} {r.precision}"


def _save(fig: object, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from mnx.toolkit.artifacts import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return path


def _latency_plot(rows: list[BenchRow], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5))
    series: dict[str, list[BenchRow]] = {}
    for r in rows:
        series.setdefault(_label(r), []).append(r)
    for label, rs in series.items():
        rs = sorted(rs, key=lambda r: r.batch_size or 0)
        ax.plot(
            [float(r.batch_size or 0) for r in rs],
            [float(r.p50_ms or 0) for r in rs],
            marker="o",
            label=label,
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    batches = sorted({r.batch_size for r in rows if r.batch_size})
    ax.set_xticks(batches, [str(b) for b in batches])  # label the measured sizes: 1, 32, 256
    ax.set_xlabel("batch size")
    ax.set_ylabel("p50 latency per batch (ms)")
    ax.set_title("Latency vs batch size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)


def _accuracy_plot(rows: list[BenchRow], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5))
    smallest: dict[str, BenchRow] = {}
    for r in rows:
        if r.accuracy is None:
            continue
        cur = smallest.get(_label(r))
        if cur is None or (r.batch_size or 0) < (cur.batch_size or 0):
            smallest[_label(r)] = r
    for label, r in smallest.items():
        ax.scatter([float(r.p50_ms or 0)], [100 * (r.accuracy or 0)], s=36)
        ax.annotate(
            f"{label} (b{r.batch_size})",
            (r.p50_ms or 0, 100 * (r.accuracy or 0)),
            fontsize=7,
            xytext=(4, 3),
            textcoords="offset points",
        )
    ax.set_xscale("log")
    from matplotlib.ticker import LogFormatterSciNotation, NullFormatter

    ax.xaxis.set_major_formatter(LogFormatterSciNotation())
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on short ranges
    ax.set_xlabel("p50 latency per batch (ms, smallest measured batch)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Accuracy vs latency, all variants")
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, path)
