"""Notebook 001: "Assignment 13 - CNN - MNIST", 14 CNNs in tf.keras 1.13 (docs/catalog.md §2).

Adam defaults, 25 epochs, batch 128, `keras.utils.normalize` preprocessing. "reg" networks use
he_normal + l2(1e-5) convs, dropout 0.5 and a BN dense head. Keras is imported inside builders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mnx.architectures.recipe import ADAM_TFKERAS113, InputLayout, Preprocessing
from mnx.architectures.registry import Family, register
from mnx.architectures.zoo._common import image_input, recipe, softmax_output

SEED = "001"
RECIPE = recipe(
    ADAM_TFKERAS113, epochs=25, batch_size=128, preprocessing=Preprocessing.KERAS_NORMALIZE
)
L2 = 1e-5


def _reg_kwargs() -> dict[str, Any]:
    from keras import regularizers

    return {"kernel_initializer": "he_normal", "kernel_regularizer": regularizers.l2(L2)}


def _conv_stack(
    x: Any,
    filters: Sequence[int],
    kernel: int,
    *,
    padding: str = "valid",
    pool_paddings: Sequence[str | None],
    reg: bool = False,
) -> Any:
    """Conv (+ MaxPool 2x2 when its pool padding is not None) (+ Dropout 0.5 when reg) per layer."""
    from keras import layers

    for i, (f, pool_padding) in enumerate(zip(filters, pool_paddings, strict=True), start=1):
        extra = _reg_kwargs() if reg else {}
        x = layers.Conv2D(
            f, (kernel, kernel), activation="relu", padding=padding, name=f"conv{i}", **extra
        )(x)
        if pool_padding is not None:
            x = layers.MaxPooling2D((2, 2), padding=pool_padding, name=f"pool{i}")(x)
        if reg:
            x = layers.Dropout(0.5, name=f"drop{i}")(x)
    return x


def _head(x: Any, kind: str) -> Any:
    """Head_plain / Head_bn / Head_reg: Flatten, Dense 128, Dense 64, Dense 10 softmax."""
    from keras import layers

    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate((128, 64), start=1):
        extra = _reg_kwargs() if kind == "reg" else {}
        x = layers.Dense(units, activation="relu", name=f"dense{i}", **extra)(x)
        if kind in ("bn", "reg"):
            x = layers.BatchNormalization(name=f"dense_bn{i}")(x)
            x = layers.Dropout(0.5, name=f"dense_drop{i}")(x)
    return softmax_output(x)


def _model(
    filters: Sequence[int],
    kernel: int,
    head: str,
    *,
    padding: str = "valid",
    pool_paddings: Sequence[str | None],
    reg: bool = False,
) -> Any:
    import keras

    inputs = image_input()
    x = _conv_stack(inputs, filters, kernel, padding=padding, pool_paddings=pool_paddings, reg=reg)
    return keras.Model(inputs, _head(x, head))


def _reg(name: str, section: str, acc: float, params: int, slug: str, desc: str) -> Any:
    return register(
        name,
        seed=SEED,
        section=section,
        family=Family.CNN,
        recipe=RECIPE,
        reported_accuracy=acc,
        params=params,
        layout=InputLayout.IMAGE,
        catalog_slug=slug,
        description=desc,
    )


# 2.1 "2 ConvNet Architecture": conv + maxpool twice.
@_reg("m21_k3", "2.1.1 (m21)", 0.9883, 232_650, "cnn2_k3_plain", "2 convs 3x3, plain head")
def m21_k3() -> Any:
    return _model((32, 64), 3, "plain", pool_paddings=("valid", "valid"))


@_reg("m22_k5", "2.1.2 (m22)", 0.9887, 192_202, "cnn2_k5_plain", "2 convs 5x5, plain head")
def m22_k5() -> Any:
    return _model((32, 64), 5, "plain", pool_paddings=("valid", "valid"))


@_reg(
    "m23_k3_reg",
    "2.1.3 (m23)",
    0.9881,
    233_418,
    "cnn2_k3_reg",
    "2 convs 3x3 with he_normal + L2 1e-5, dropout 0.5, BN head",
)
def m23_k3_reg() -> Any:
    return _model((32, 64), 3, "reg", pool_paddings=("valid", "valid"), reg=True)


@_reg(
    "m24_k5_reg",
    "2.1.4 (m24)",
    0.9899,
    192_970,
    "cnn2_k5_reg",
    "2 convs 5x5 with he_normal + L2 1e-5, dropout 0.5, BN head",
)
def m24_k5_reg() -> Any:
    return _model((32, 64), 5, "reg", pool_paddings=("valid", "valid"), reg=True)


# 2.2 "3 ConvNet Architecture".
@_reg("m31_k3", "2.2.1 (m31)", 0.9812, 50_410, "cnn3_k3_plain", "3 convs 3x3, plain head")
def m31_k3() -> Any:
    # The garbled output line reads Dense(10, relu); a softmax output is the only reading that
    # fits categorical cross-entropy's logged loss 0.0114 (docs/catalog.md m31).
    return _model((32, 64, 32), 3, "plain", pool_paddings=("valid",) * 3)


@_reg(
    "m32_k5_same",
    "2.2.2 (m32)",
    0.9890,
    149_226,
    "cnn3_k5_same_plain",
    "3 convs 5x5 'same', plain head",
)
def m32_k5_same() -> Any:
    return _model((32, 64, 32), 5, "plain", padding="same", pool_paddings=("valid",) * 3)


@_reg(
    "m33_k3_reg",
    "2.2.3 (m33)",
    0.9679,
    51_178,
    "cnn3_k3_reg",
    "3 convs 3x3 with he_normal + L2 1e-5, dropout 0.5, BN head",
)
def m33_k3_reg() -> Any:
    return _model((32, 64, 32), 3, "reg", pool_paddings=("valid",) * 3, reg=True)


@_reg(
    "m34_k5_reg",
    "2.2.4 (m34)",
    0.9821,
    168_490,
    "cnn5_k5_same_reg_in3convsection",
    "5 convs 5x5 'same' (listed under 3 ConvNets), L2 1e-5, dropout 0.5, BN head",
)
def m34_k5_reg() -> Any:
    # The fourth pool has no padding argument in the seed (valid): 4 -> 2.
    pools = ("same", "same", "same", "valid", "same")
    return _model((32, 64, 32, 32, 32), 5, "reg", padding="same", pool_paddings=pools, reg=True)


# 2.3 "5 ConvNet Architecture": every pool is padding="same".
@_reg(
    "m51_k3_bnhead",
    "2.3.1 (m51)",
    0.9879,
    125_034,
    "cnn5_k3_same_bnhead",
    "5 convs 3x3 'same', BN + dropout head",
)
def m51_k3_bnhead() -> Any:
    return _model((32, 64, 64, 64, 32), 3, "bn", padding="same", pool_paddings=("same",) * 5)


@_reg(
    "m52_k5_bnhead",
    "2.3.2 (m52)",
    0.9899,
    322_154,
    "cnn5_k5_same_bnhead",
    "5 convs 5x5 'same', BN + dropout head",
)
def m52_k5_bnhead() -> Any:
    return _model((32, 64, 64, 64, 32), 5, "bn", padding="same", pool_paddings=("same",) * 5)


@_reg(
    "m53_k3_reg",
    "2.3.3 (m53)",
    0.9828,
    125_034,
    "cnn5_k3_same_reg",
    "5 convs 3x3 'same' with he_normal + L2 1e-5, dropout 0.5, BN head",
)
def m53_k3_reg() -> Any:
    return _model(
        (32, 64, 64, 64, 32), 3, "reg", padding="same", pool_paddings=("same",) * 5, reg=True
    )


@_reg(
    "m54_k5_reg",
    "2.3.4 (m54)",
    0.9868,
    322_154,
    "cnn5_k5_same_reg",
    "5 convs 5x5 'same' with he_normal + L2 1e-5, dropout 0.5, BN head",
)
def m54_k5_reg() -> Any:
    return _model(
        (32, 64, 64, 64, 32), 5, "reg", padding="same", pool_paddings=("same",) * 5, reg=True
    )


# 2.4 "7 Convnet": dropout after every conv, a 'same' pool after conv 3 and after conv 6.
def _seven(kernel: int) -> Any:
    import keras
    from keras import layers

    inputs = image_input()
    x = inputs
    for i, f in enumerate((32, 64, 64, 64, 64, 32, 32), start=1):
        x = layers.Conv2D(
            f, (kernel, kernel), activation="relu", padding="same", name=f"conv{i}", **_reg_kwargs()
        )(x)
        if i == 3:  # seed order: conv3, pool, dropout
            x = layers.MaxPooling2D((2, 2), padding="same", name="pool1")(x)
        x = layers.Dropout(0.5, name=f"drop{i}")(x)
        if i == 6:  # seed order: conv6, dropout, pool
            x = layers.MaxPooling2D((2, 2), padding="same", name="pool2")(x)
    return keras.Model(inputs, _head(x, "reg"))


@_reg(
    "m71_k3_reg",
    "2.4.1 (m71)",
    0.9879,
    367_818,
    "cnn7_k3_same_reg",
    "7 convs 3x3 'same' with he_normal + L2 1e-5, dropout 0.5, BN head",
)
def m71_k3_reg() -> Any:
    return _seven(3)


@_reg(
    "m72_k5_reg",
    "2.4.2 (m72)",
    0.9911,
    646_858,
    "cnn7_k5_same_reg",
    "7 convs 5x5 'same' with he_normal + L2 1e-5, dropout 0.5, BN head",
)
def m72_k5_reg() -> Any:
    return _seven(5)
