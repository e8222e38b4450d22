"""Small pieces shared by the notebook modules: recipes and the named input/output layers."""

from __future__ import annotations

import copy
from typing import Any

from mnx.architectures.recipe import Preprocessing, Recipe

INPUT_NAME = "input"  # exported ONNX models keep the Keras input/output names
OUTPUT_NAME = "output"
IMAGE_SHAPE = (28, 28, 1)
FLAT_SHAPE = (784,)


def recipe(
    base: dict[str, Any],
    *,
    epochs: int,
    batch_size: int,
    preprocessing: Preprocessing = Preprocessing.DIV255,
) -> Recipe:
    """A Recipe from one of the optimizer presets in architectures.recipe.

    The preset is deep-copied so no two recipes share one mutable `optimizer_args` dict."""
    return Recipe(
        **copy.deepcopy(base), epochs=epochs, batch_size=batch_size, preprocessing=preprocessing
    )


def image_input() -> Any:
    import keras

    return keras.Input(shape=IMAGE_SHAPE, name=INPUT_NAME)


def flat_input() -> Any:
    import keras

    return keras.Input(shape=FLAT_SHAPE, name=INPUT_NAME)


def softmax_output(x: Any, kernel_initializer: Any = "glorot_uniform") -> Any:
    """The 10-way softmax Dense every seed network ends with, named "output"."""
    from keras import layers

    return layers.Dense(
        10, activation="softmax", kernel_initializer=kernel_initializer, name=OUTPUT_NAME
    )(x)
