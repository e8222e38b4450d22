"""Training-curve figures, drawn like the seed notebooks drew them (docs/catalog.md §6.1, §6.2).

Figures are made with matplotlib's object API (`Figure` + Agg canvas), not pyplot: no global
state, no GUI backend, safe in a headless process. Every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mnx.toolkit.artifacts import atomic_path


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


def _epochs(values: Sequence[float]) -> list[int]:
    return list(range(1, len(values) + 1))


def _integer_epochs(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def loss_curve(history: Mapping[str, Sequence[float]], path: Path, title: str = "") -> Path:
    """Train vs validation loss per epoch, as the notebooks' `plt_dynamic` drew it:
    x = epoch 1..E, validation in blue, train in red, 'Categorical Crossentropy Loss'."""
    fig = new_figure()
    ax = fig.add_subplot(1, 1, 1)
    if history.get("val_loss"):
        ax.plot(
            _epochs(history["val_loss"]),
            history["val_loss"],
            "b",
            marker=".",
            label="Validation Loss (test set)",
        )
    ax.plot(_epochs(history["loss"]), history["loss"], "r", marker=".", label="Train Loss")
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
    ax.plot(_epochs(history["accuracy"]), history["accuracy"], "r", marker=".", label="training")
    if history.get("val_accuracy"):
        ax.plot(
            _epochs(history["val_accuracy"]),
            history["val_accuracy"],
            "b",
            marker=".",
            label="validation (test set)",
        )
    ax.set_xlabel("epoch")
    _integer_epochs(ax)
    ax.set_ylabel("accuracy")
    ax.set_title(title or "model accuracy")
    ax.legend(loc="upper left")
    ax.grid(True)
    return save_figure(fig, path)
