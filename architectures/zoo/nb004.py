"""Notebook 004: "CNN Models on MNIST", Models 1..10 (docs/catalog.md §5).

Standalone Keras 2.2: `Adadelta()` meant learning_rate=1.0; 13 epochs, batch 128, x/255. Every
conv and hidden Dense is ReLU with he_normal; the softmax output keeps the default init.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mnx.architectures.recipe import ADADELTA_KERAS22, InputLayout
from mnx.architectures.registry import Family, register
from mnx.architectures.zoo._common import image_input, recipe, softmax_output

SEED = "004"
RECIPE = recipe(ADADELTA_KERAS22, epochs=13, batch_size=128)

# (filters, kernel, padding, pool stride after the conv: 2, 1, or None for no pool).
# Every pool is MaxPooling2D((2, 2)) with 'valid' padding.
ConvSpec = tuple[int, int, str, int | None]


def _sequential_cnn(convs: Sequence[ConvSpec], hidden: int) -> Any:
    """Conv stack followed by the notebook's head H512 / H256 (`hidden` = 512 or 256)."""
    import keras
    from keras import layers

    inputs = image_input()
    x = inputs
    n_pool = 0
    for i, (filters, kernel, padding, pool_stride) in enumerate(convs, start=1):
        x = layers.Conv2D(
            filters,
            (kernel, kernel),
            activation="relu",
            padding=padding,
            kernel_initializer="he_normal",
            name=f"conv{i}",
        )(x)
        if pool_stride is not None:
            n_pool += 1
            x = layers.MaxPooling2D(
                (2, 2), strides=(pool_stride, pool_stride), name=f"pool{n_pool}"
            )(x)
    return keras.Model(inputs, _head(x, hidden))


def _head(x: Any, hidden: int) -> Any:
    """H512/H256: Dropout .25, Flatten, Dense(hidden)-BN-Dropout .5, Dense 128-BN-Dropout .5."""
    from keras import layers

    x = layers.Dropout(0.25, name="drop1")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate((hidden, 128), start=1):
        x = layers.Dense(
            units, activation="relu", kernel_initializer="he_normal", name=f"dense{i}"
        )(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Dropout(0.5, name=f"drop{i + 1}")(x)
    return softmax_output(x)


def _reg(n: int, acc: float, params: int, slug: str, desc: str) -> Any:
    return register(
        f"cnn{n}",
        seed=SEED,
        section=f"Model {n}",
        family=Family.CNN,
        recipe=RECIPE,
        reported_accuracy=acc,
        params=params,
        layout=InputLayout.IMAGE,
        catalog_slug=slug,
        description=desc,
    )


@_reg(1, 0.9936, 646_410, "cnn4_m1_k5_nopad", "Model 1: 2 convs 5x5, no padding, H512")
def cnn1() -> Any:
    return _sequential_cnn([(32, 5, "valid", 2), (64, 5, "valid", 2)], 512)


@_reg(2, 0.9940, 1_211_274, "cnn4_m2_k3_nopad_3conv", "Model 2: 3 convs 3x3, no padding, H512")
def cnn2() -> Any:
    return _sequential_cnn([(32, 3, "valid", 2), (64, 3, "valid", 1), (128, 3, "valid", 2)], 512)


@_reg(3, 0.9929, 696_330, "cnn4_m3_k7_nopad", "Model 3: 2 convs 7x7, no padding, H512")
def cnn3() -> Any:
    return _sequential_cnn([(32, 7, "valid", 2), (64, 7, "valid", 1)], 512)


@_reg(4, 0.9937, 3_842_890, "cnn4_m4_k5_pad", "Model 4: 4 convs, 5x5 'same' first, H256")
def cnn4() -> Any:
    convs = [
        (32, 5, "same", 2),
        (128, 5, "same", 2),
        (256, 3, "valid", None),
        (512, 5, "valid", None),
    ]
    return _sequential_cnn(convs, 256)


@_reg(5, 0.9938, 1_211_274, "cnn4_m5_k3_pad", "Model 5: 3 convs 3x3, 'same' first, H512")
def cnn5() -> Any:
    return _sequential_cnn([(32, 3, "same", 2), (64, 3, "same", 2), (128, 3, "valid", 1)], 512)


@_reg(6, 0.9938, 7_396_362, "cnn4_m6_k7_pad", "Model 6: 3 convs 7x7, 'same' first, H256")
def cnn6() -> Any:
    return _sequential_cnn([(64, 7, "same", 2), (256, 7, "same", 2), (512, 7, "valid", None)], 256)


@_reg(
    7,
    0.9948,
    2_686_602,
    "cnn4_m7_lesspool_k5k3",
    "Model 7: 4 convs 5x5/3x3, one pool per 2 convs, H512",
)
def cnn7() -> Any:
    convs = [
        (32, 5, "valid", None),
        (64, 3, "valid", 2),
        (128, 5, "valid", None),
        (256, 3, "valid", 1),
    ]
    return _sequential_cnn(convs, 512)


@_reg(
    8,
    0.9951,
    2_588_298,
    "cnn4_m8_lesspool_k5pad_k3",
    "Model 8: 4 convs 5x5 then 3x3, one pool per 2 convs, H512",
)
def cnn8() -> Any:
    convs = [
        (32, 5, "same", None),
        (64, 5, "valid", 2),
        (128, 3, "valid", None),
        (256, 3, "valid", 2),
    ]
    return _sequential_cnn(convs, 512)


@_reg(
    9,
    0.9954,
    3_210_378,
    "cnn4_m9_lesspool_k3pad_k5",
    "Model 9: 4 convs 3x3 then 5x5, one pool per 2 convs, H512",
)
def cnn9() -> Any:
    convs = [
        (32, 3, "same", None),
        (64, 3, "valid", 2),
        (128, 5, "valid", None),
        (256, 5, "valid", 1),
    ]
    return _sequential_cnn(convs, 512)


@_reg(
    10,
    0.9944,
    37_987_722,
    "cnn4_m10_inception_like",
    "Model 10: inception-like 1x1/3x3/5x5/pool branches, then 4 big convs",
)
def cnn10() -> Any:
    import keras
    from keras import layers

    def conv(filters: int, kernel: int, name: str, padding: str = "valid") -> Any:
        return layers.Conv2D(
            filters,
            (kernel, kernel),
            padding=padding,
            activation="relu",
            kernel_initializer="he_normal",
            name=name,
        )

    inputs = image_input()
    b1 = conv(32, 1, "branch_1x1", "same")(inputs)
    b2 = conv(32, 3, "branch_3x3", "same")(inputs)
    b3 = conv(32, 5, "branch_5x5", "same")(inputs)
    # The seed pools *after* the 1x1 conv in the fourth branch.
    b4 = conv(32, 1, "branch_pool_1x1", "same")(inputs)
    b4 = layers.MaxPooling2D((3, 3), strides=(1, 1), padding="same", name="branch_pool")(b4)
    x = layers.Concatenate(axis=-1, name="merged")([b1, b2, b3, b4])
    x = conv(256, 7, "conv1")(x)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)
    x = conv(512, 5, "conv2")(x)
    x = conv(1024, 5, "conv3")(x)
    x = conv(2048, 3, "conv4")(x)
    return keras.Model(inputs, _head(x, 512))
