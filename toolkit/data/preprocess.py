"""Raw uint8 pixels -> model input, the way each seed notebook did it."""

from __future__ import annotations

import numpy as np

from mnx.architectures.recipe import InputLayout, Preprocessing


def preprocess(x: np.ndarray, preprocessing: Preprocessing, layout: InputLayout) -> np.ndarray:
    """uint8 images (N, 28, 28) (or (N, 784)) -> float32 (N, 28, 28, 1) for IMAGE or (N, 784)
    for FLAT, scaled by the recipe's `preprocessing`."""
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise ValueError(f"preprocess expects raw uint8 pixels, got {x.dtype}")
    if x.shape[1:] not in ((28, 28), (784,)):
        raise ValueError(f"preprocess expects images of 28x28 pixels, got shape {x.shape}")
    images = x.reshape(len(x), 28, 28)
    preprocessing = Preprocessing(preprocessing)
    if preprocessing is Preprocessing.DIV255:
        out = images.astype(np.float32) / np.float32(255.0)
    elif preprocessing is Preprocessing.KERAS_NORMALIZE:
        out = keras_normalize(images, axis=1).astype(np.float32)
    else:  # pragma: no cover - the enum is closed
        raise ValueError(f"unknown preprocessing {preprocessing!r}")
    layout = InputLayout(layout)
    return (
        out.reshape(len(x), 784) if layout is InputLayout.FLAT else out.reshape(len(x), 28, 28, 1)
    )


def keras_normalize(x: np.ndarray, axis: int = 1, order: int = 2) -> np.ndarray:
    """`keras.utils.normalize(x, axis, order)` in numpy (float64, as Keras returns for numpy).

    Notebook 001's code is lost ("we would be using the built in function for normalizing"); we
    use axis=1 on the (N, 28, 28) array, the common tutorial idiom
    `tf.keras.utils.normalize(x_train, axis=1)`: each image column is L2-normalised over its rows.
    Reimplemented so that preprocessing does not import TensorFlow (~9 s).
    """
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def one_hot(y: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Integer labels (N,) -> float32 one-hot (N, num_classes)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot expects labels of shape (N,), got {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got {y.min()}..{y.max()}")
    out = np.zeros((len(y), num_classes), dtype=np.float32)
    out[np.arange(len(y)), y.astype(np.int64)] = 1.0
    return out
