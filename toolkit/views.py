"""Views of a trained network: what the seed notebooks looked at besides the score (docs/catalog.md §6).

    from mnx.toolkit.views import write_views
    report = write_views("m31_k3", Path("artifacts"))

- model summary (Keras's summary as text, plus a per-layer parameter table),
- a grid of sample test digits with their labels (and predictions),
- per-layer weight distributions as violin plots (notebook 001 drew the first three kernels and
  mislabelled the third 'Output Layer'; here every weighted layer is drawn under its real name),
- the confusion matrix on the test set (array + heatmap) and per-class accuracy (notebooks never
  drew one; docs/catalog.md §6.11 lists it as missing).

Files go to <root>/<name>/views/, written atomically. Plain matplotlib (Figure + Agg canvas).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mnx.toolkit.artifacts import network_dir, write_json_atomic, write_text_atomic
from mnx.toolkit.plots import new_figure, save_figure

if TYPE_CHECKING:
    from mnx.toolkit.data import Mnist

VIEWS_DIR = "views"
NUM_CLASSES = 10


# --- summary ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerParams:
    name: str
    kind: str  # the Keras layer class, e.g. "Conv2D"
    output_shape: str
    params: int
    trainable_params: int


def layer_params(model: Any) -> list[LayerParams]:
    """One row per layer: name, class, output shape and parameter counts."""
    rows = []
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape))
        except (AttributeError, ValueError):
            shape = "?"
        trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
        rows.append(
            LayerParams(
                layer.name, type(layer).__name__, shape, int(layer.count_params()), trainable
            )
        )
    return rows


def model_summary(model: Any) -> str:
    """Keras's `model.summary()` captured as plain text, followed by a per-layer table."""
    lines: list[str] = []
    # 78 columns: Keras renders through rich, whose captured console is 80 wide off a terminal.
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line), line_length=78)
    rows = layer_params(model)
    width = max([len(r.name) for r in rows] + [5])
    table = [
        f"{'layer':<{width}}  {'type':<20} {'output shape':<22} {'params':>10} {'trainable':>10}"
    ]
    table += [
        f"{r.name:<{width}}  {r.kind:<20} {r.output_shape:<22} {r.params:>10,} {r.trainable_params:>10,}"
        for r in rows
    ]
    table.append(
        f"{'total':<{width}}  {'':<20} {'':<22} {sum(r.params for r in rows):>10,} "
        f"{sum(r.trainable_params for r in rows):>10,}"
    )
    return "\n".join(lines).rstrip() + "\n\n" + "\n".join(table) + "\n"


# --- samples ----------------------------------------------------------------------------------


def sample_grid(
    images: np.ndarray,
    labels: np.ndarray,
    path: Path,
    predictions: np.ndarray | None = None,
    columns: int = 8,
) -> Path:
    """A grid of digits titled with their label (and prediction, red when wrong)."""
    n = len(images)
    rows = max(1, -(-n // columns))
    fig = new_figure((columns * 1.2, rows * 1.35))
    for i in range(n):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.imshow(np.asarray(images[i]).reshape(28, 28), cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        if predictions is None:
            ax.set_title(f"{int(labels[i])}", fontsize=9)
        else:
            ok = int(predictions[i]) == int(labels[i])
            ax.set_title(
                f"{int(labels[i])} → {int(predictions[i])}",
                fontsize=9,
                color="black" if ok else "red",
            )
    fig.suptitle("label" if predictions is None else "label → prediction")
    return save_figure(fig, path)


# --- weights ----------------------------------------------------------------------------------


def kernels(model: Any) -> list[tuple[str, np.ndarray]]:
    """(layer name, flattened kernel) for every layer that has a kernel, in model order."""
    out = []
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            out.append((layer.name, np.asarray(kernel).ravel()))
    return out


def weight_violins(model: Any, path: Path, max_layers: int = 12) -> Path:
    """Violin plot of each weighted layer's kernel values, labelled by layer name."""
    ks = kernels(model)[:max_layers]
    if not ks:
        raise ValueError("the model has no layer with a kernel to plot")
    fig = new_figure((max(6.0, 1.3 * len(ks) + 2), 5.0))
    ax = fig.add_subplot(1, 1, 1)
    parts = ax.violinplot([k for _, k in ks], showmedians=True, showextrema=True)
    colors = ["tab:blue", "tab:red", "gold", "tab:green", "tab:purple", "tab:orange"]
    for i, body in enumerate(parts["bodies"]):
        body.set_facecolor(colors[i % len(colors)])
        body.set_alpha(0.6)
    ax.set_xticks(range(1, len(ks) + 1))
    ax.set_xticklabels([f"{n}\n({k.size:,})" for n, k in ks], fontsize=8)
    ax.set_ylabel("weight value")
    ax.set_title("Kernel weights after training (per layer, number of weights)")
    ax.grid(True, axis="y", alpha=0.4)
    return save_figure(fig, path)


# --- confusion --------------------------------------------------------------------------------


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, classes: int = NUM_CLASSES
) -> np.ndarray:
    """counts[i, j] = images of true class i predicted as j (int64, shape (classes, classes))."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.shape[0]} labels but {y_pred.shape[0]} predictions")
    flat = np.bincount(y_true * classes + y_pred, minlength=classes * classes)
    return flat.reshape(classes, classes)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of each class (diagonal / row sum); NaN for a class with no images."""
    totals = cm.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / totals, np.nan)


def confusion_plot(cm: np.ndarray, path: Path, title: str = "") -> Path:
    """Heatmap of counts with each count written in its cell."""
    fig = new_figure((7.5, 6.5))
    ax = fig.add_subplot(1, 1, 1)
    # log-ish colour so the few errors show next to ~1,000 correct per class
    im = ax.imshow(np.log1p(cm), cmap="Blues")
    threshold = np.log1p(cm).max() / 2 if cm.size else 0
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(
                j,
                i,
                str(int(cm[i, j])),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if np.log1p(cm[i, j]) > threshold else "black",
            )
    ax.set_xticks(range(cm.shape[1]))
    ax.set_yticks(range(cm.shape[0]))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    acc = np.trace(cm) / max(int(cm.sum()), 1)
    ax.set_title(title or f"Confusion matrix (test set, accuracy {acc:.4f})")
    fig.colorbar(im, ax=ax, label="log(1 + count)")
    return save_figure(fig, path)


# --- all of it --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewsReport:
    """What `write_views` wrote. `confusion` is None when not asked for."""

    name: str
    views_dir: Path
    summary: str | None = None
    files: tuple[Path, ...] = ()
    confusion: np.ndarray | None = field(default=None, repr=False)
    per_class_accuracy: tuple[float, ...] | None = None
    test_accuracy: float | None = None


def predict_classes(model: Any, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Arg-max class of each input (predict_on_batch per chunk: no progress bar, no overhead)."""
    out = [
        np.asarray(model.predict_on_batch(x[i : i + batch_size])).argmax(axis=1)
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0,), dtype=np.int64)


def write_views(
    name: str,
    root: Path,
    *,
    summary: bool = True,
    weights: bool = True,
    confusion: bool = True,
    samples: bool = True,
    data: Mnist | None = None,
) -> ViewsReport:
    """Write the chosen views of trained network `name` to <root>/<name>/views/.

    Raises MissingArtifactError if it is not trained, CorruptArtifactError if model.keras does
    not load, and StaleArtifactError if the store does not trust it (copied in, or its training
    did not finish). `data` (for samples and the confusion matrix) defaults to `load_mnist()`.
    """
    from mnx.architectures import get
    from mnx.toolkit.train import load_trained_model

    net = get(name)
    model = load_trained_model(name, root)
    views = network_dir(name, root) / VIEWS_DIR
    files: list[Path] = []
    text = cm = per_class = accuracy = None
    if summary:
        text = model_summary(model)
        files.append(views / "summary.txt")
        write_text_atomic(files[-1], text)
    if weights:
        files.append(weight_violins(model, views / "weights.png"))
    if samples or confusion:
        from mnx.toolkit.data import load_mnist, preprocess

        data = data or load_mnist()
        x = preprocess(data.x_test, net.recipe.preprocessing, net.layout)
        predicted = predict_classes(model, x)
        if samples:
            files.append(
                sample_grid(
                    data.x_test[:32],
                    data.y_test[:32],
                    views / "samples.png",
                    predictions=predicted[:32],
                )
            )
        if confusion:
            cm, per_class, accuracy = _write_confusion(name, data, predicted, views, files)
    return ViewsReport(
        name=name,
        views_dir=views,
        summary=text,
        files=tuple(files),
        confusion=cm,
        per_class_accuracy=per_class,
        test_accuracy=accuracy,
    )


def _write_confusion(
    name: str, data: Mnist, predicted: np.ndarray, views: Path, files: list[Path]
) -> tuple[np.ndarray, tuple[float, ...], float]:
    """confusion.png and confusion.json; returns the matrix, per-class and overall accuracy."""
    cm = confusion_matrix(data.y_test, predicted)
    per_class = tuple(float(v) for v in per_class_accuracy(cm))
    accuracy = float(np.trace(cm) / cm.sum())
    title = f"{name}: confusion on {cm.sum():,} test images (accuracy {100 * accuracy:.2f}%)"
    files.append(confusion_plot(cm, views / "confusion.png", title=title))
    files.append(views / "confusion.json")
    write_json_atomic(
        files[-1],
        {
            "name": name,
            "test_images": int(cm.sum()),
            "accuracy": accuracy,
            "confusion": cm.tolist(),
            "per_class_accuracy": [None if np.isnan(v) else v for v in per_class],
            "data": {"sha256": data.sha256, "source": data.source, "subset": data.subset},
        },
    )
    return cm, per_class, accuracy
