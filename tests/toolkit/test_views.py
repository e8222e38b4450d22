"""mnx.toolkit.views on tiny trained networks (the session fixture) and hand-made arrays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mnx.errors import CorruptArtifactError, MissingArtifactError
from mnx.toolkit.views import (
    confusion_matrix,
    kernels,
    per_class_accuracy,
    write_views,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_confusion_matrix_counts() -> None:
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 2, 0])
    cm = confusion_matrix(y_true, y_pred, classes=3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_allclose(per_class_accuracy(cm), [0.5, 1.0, 2 / 3])
    empty = per_class_accuracy(confusion_matrix(np.array([0]), np.array([0]), classes=2))
    assert empty[0] == 1.0 and np.isnan(empty[1])
    with pytest.raises(ValueError, match="2 labels but 1 predictions"):
        confusion_matrix(np.array([0, 1]), np.array([0]))


@pytest.mark.parametrize("name", ["linear", "m31_k3"])
def test_write_views_all(copy_trained: Path, subset_data, name: str) -> None:  # type: ignore[no-untyped-def]
    report = write_views(name, copy_trained, data=subset_data)
    views = copy_trained / name / "views"
    assert {p.name for p in report.files} == {
        "summary.txt",
        "weights.png",
        "samples.png",
        "confusion.png",
        "confusion.json",
    }
    for p in report.files:
        assert p.parent == views and p.stat().st_size > 0
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == PNG_MAGIC
    assert report.confusion is not None and report.confusion.shape == (10, 10)
    assert int(report.confusion.sum()) == len(subset_data.y_test)
    # the confusion matrix agrees with what training measured on the same test set
    train_acc = json.loads((copy_trained / name / "train.json").read_text())["test_accuracy"]
    assert report.test_accuracy == pytest.approx(train_acc, abs=1e-6)
    saved = json.loads((views / "confusion.json").read_text())
    assert saved["confusion"] == report.confusion.tolist()
    assert report.summary is not None and "Total params" in report.summary
    assert (views / "summary.txt").read_text() == report.summary


def test_summary_and_kernels_use_real_layer_names(copy_trained: Path) -> None:
    from mnx.toolkit.train import load_trained_model
    from mnx.toolkit.views import model_summary

    model = load_trained_model("m31_k3", copy_trained)
    names = [n for n, _ in kernels(model)]
    assert names == [layer.name for layer in model.layers if hasattr(layer, "kernel")]
    assert names[-1] == "output" and len(names) == 6  # 3 convs, 2 dense, output
    text = model_summary(model)
    for n in names:
        assert n in text
    assert "50,410" in text


def test_write_views_subset_of_views(copy_trained: Path, subset_data) -> None:  # type: ignore[no-untyped-def]
    report = write_views(
        "linear",
        copy_trained,
        summary=False,
        weights=False,
        confusion=False,
        samples=True,
        data=subset_data,
    )
    assert [p.name for p in report.files] == ["samples.png"]
    assert report.summary is None and report.confusion is None


def test_views_of_untrained_network(tmp_path: Path) -> None:
    with pytest.raises(MissingArtifactError, match="mnx train m31_k3"):
        write_views("m31_k3", tmp_path)


def test_views_of_corrupt_model(copy_trained: Path) -> None:
    model = copy_trained / "linear" / "model.keras"
    model.write_bytes(model.read_bytes()[:2000])  # truncated, as by a full disk
    with pytest.raises(CorruptArtifactError, match="mnx train linear"):
        write_views("linear", copy_trained)
