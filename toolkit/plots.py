"""Training-curve figures, drawn like the seed notebooks drew them (docs/catalog.md §6.1, §6.2).

Figures are made with matplotlib's object API (`Figure` + Agg canvas), not pyplot: no global
state, no GUI backend, safe in a headless process. Every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mnx.toolkit.artifacts import atomic_path


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, never a display): the one place that
    picks the backend, for code that wants pyplot's helpers; prefer `new_figure`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_figure(figsize: tuple[float, float] = (8.0, 5.0)) -> Any:
    """A matplotlib Figure bound to an Agg canvas (no pyplot, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: Path) -> Path:
    """Write `fig` as PNG to `path` atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    return path


#: One legend wording for both figures (the loss plot said "Train Loss", the accuracy plot
#: "training").
TRAIN_LABEL = "training"
VALIDATION_LABEL = "validation (test set)"


def _epochs(values: Sequence[float]) -> list[int]:
    return list(range(1, len(values) + 1))


def _integer_epochs(ax: Any) -> None:
    """Whole epochs only: one epoch's x range (0.95..1.05) would otherwise get fractional ticks."""
    from matplotlib.ticker import MaxNLocator

    lo, hi = ax.get_xlim()
    if hi - lo < 2:  # one or two epochs: a range around them, ticks on each
        ax.set_xlim(round(lo + 0.05) - 0.5, round(hi - 0.05) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def loss_curve(history: Mapping[str, Sequence[float]], path: Path, title: str = "") -> Path:
    """Train vs validation loss per epoch, as the notebooks' `plt_dynamic` drew it:
    x = epoch 1..E, validation in blue, train in red, 'Categorical Crossentropy Loss'."""
    fig = new_figure()
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(_epochs(history["loss"]), history["loss"], "r", marker=".", label=TRAIN_LABEL)
    if history.get("val_loss"):
        ax.plot(
            _epochs(history["val_loss"]),
            history["val_loss"],
            "b",
            marker=".",
            label=VALIDATION_LABEL,
        )
    ax.set_xlabel("epoch")
    _integer_epochs(ax)
    ax.set_ylabel("Categorical Crossentropy Loss")
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(True)
    return save_figure(fig, path)


def accuracy_curve(history: Mapping[str, Sequence[float]], path: Path, title: str = "") -> Path:
    """Train vs validation accuracy per epoch (notebook 003's 'model accuracy' plot)."""
    fig = new_figure()
    ax = fig.add_subplot(1, 1, 1)
    acc = [100 * v for v in history["accuracy"]]
    ax.plot(_epochs(acc), acc, "r", marker=".", label=TRAIN_LABEL)
    if history.get("val_accuracy"):
        val = [100 * v for v in history["val_accuracy"]]
        ax.plot(_epochs(val), val, "b", marker=".", label=VALIDATION_LABEL)
    ax.set_xlabel("epoch")
    _integer_epochs(ax)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title or "model accuracy")
    ax.legend(loc="upper left")
    ax.grid(True)
    return save_figure(fig, path)
