"""A grid of sample digits with their labels (the data inspection of notebooks 001/002)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnx.toolkit.artifacts import atomic_path


def save_sample_grid(
    images: np.ndarray,
    labels: np.ndarray,
    out: Path,
    *,
    count: int = 40,
    columns: int = 10,
    seed: int = 0,
    title: str | None = None,
) -> Path:
    """Write a PNG grid of `count` randomly chosen digits, each titled with its label."""
    if count < 1 or columns < 1:
        raise ValueError(f"count and columns must be >= 1, got {count}, {columns}")
    from mnx.toolkit.plots import pyplot

    plt = pyplot()

    count = min(count, len(images))
    picks = np.sort(np.random.default_rng(seed).choice(len(images), size=count, replace=False))
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.0, rows * 1.15), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, picks, strict=False):
        ax.imshow(images[i].reshape(28, 28), cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(f"{int(labels[i])}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return out
