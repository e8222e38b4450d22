"""Notebook 003: "Exercise Sheet 6.1", linear vs MLP vs CNN (docs/catalog.md §4).

Every optimizer argument is explicit in the seed: SGD(lr=0.5) for the linear model (17 epochs),
Adam(lr=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8) for the rest (34 epochs); batch 100.
Hidden layers use TruncatedNormal(0, 0.01) kernels and Constant(0.1) biases.
"""

from __future__ import annotations

from typing import Any

from mnx.architectures.recipe import InputLayout, Loss, Recipe
from mnx.architectures.registry import Family, register
from mnx.architectures.zoo._common import flat_input, image_input, softmax_output

SEED = "003"
SGD_RECIPE = Recipe(
    optimizer="SGD",
    learning_rate=0.5,
    epochs=17,
    batch_size=100,
    optimizer_args={"momentum": 0.0},
    loss=Loss.CCE_KERAS2,  # standalone Keras 2.2; with Keras 3's loss this recipe diverges
)
ADAM_RECIPE = Recipe(
    optimizer="Adam",
    learning_rate=1e-3,
    epochs=34,
    batch_size=100,
    optimizer_args={"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8},
    loss=Loss.CCE_KERAS2,
)


def _init_kwargs() -> dict[str, Any]:
    # A fresh initializer object per layer, so no two layers share one initializer's state.
    from keras import initializers

    return {
        "kernel_initializer": initializers.TruncatedNormal(mean=0.0, stddev=0.01),
        "bias_initializer": initializers.Constant(0.1),
    }


@register(
    "linear",
    seed=SEED,
    section="cells [10]/[11] 'linear model'",
    family=Family.LINEAR,
    recipe=SGD_RECIPE,
    reported_accuracy=0.9159,
    params=7_960,
    layout=InputLayout.FLAT,
    catalog_slug="linear_dense10_zeros_softmax_sgd",
    description="784 -> 10 linear (zero init) -> 10 softmax, SGD lr 0.5",
)
def linear() -> Any:
    import keras
    from keras import layers

    inputs = flat_input()
    x = layers.Dense(
        10,
        activation="linear",
        use_bias=True,
        kernel_initializer="zeros",
        bias_initializer="zeros",
        name="linear",
    )(inputs)
    return keras.Model(inputs, softmax_output(x))


def _mlp_3x1500(dropout: bool) -> Any:
    import keras
    from keras import layers

    inputs = flat_input()
    x = inputs
    for i in range(1, 4):
        x = layers.Dense(1500, activation="relu", name=f"dense{i}", **_init_kwargs())(x)
        if dropout:
            x = layers.Dropout(0.5, name=f"drop{i}")(x)
    return keras.Model(inputs, softmax_output(x))


@register(
    "mlp_3x1500",
    seed=SEED,
    section="cell [13] MLP",
    family=Family.MLP,
    recipe=ADAM_RECIPE,
    reported_accuracy=0.9842,
    params=5_695_510,
    layout=InputLayout.FLAT,
    catalog_slug="mlp_3x1500_relu_truncnorm_adam",
    description="MLP 3x1500 relu, truncated-normal init",
)
def mlp_3x1500() -> Any:
    return _mlp_3x1500(dropout=False)


@register(
    "mlp_3x1500_do",
    seed=SEED,
    section="cell [15] MLP with dropout",
    family=Family.MLP,
    recipe=ADAM_RECIPE,
    reported_accuracy=0.9840,
    params=5_695_510,
    layout=InputLayout.FLAT,
    catalog_slug="mlp_3x1500_relu_truncnorm_do05_adam",
    description="MLP 3x1500 relu with dropout 0.5, truncated-normal init",
)
def mlp_3x1500_do() -> Any:
    return _mlp_3x1500(dropout=True)


@register(
    "conv2_k5_adam",
    seed=SEED,
    section="cell [16] CNN",
    family=Family.CNN,
    recipe=ADAM_RECIPE,
    reported_accuracy=0.9917,
    params=83_466,
    layout=InputLayout.IMAGE,
    catalog_slug="cnn_2conv5x5_same_truncnorm_adam",
    description="2 convs 5x5 'same' (32, 64), truncated-normal init, straight to softmax",
)
def conv2_k5_adam() -> Any:
    import keras
    from keras import layers

    inputs = image_input()
    x = inputs
    for i, f in enumerate((32, 64), start=1):
        x = layers.Conv2D(
            f,
            (5, 5),
            strides=(1, 1),
            padding="same",
            use_bias=True,
            activation="relu",
            name=f"conv{i}",
            **_init_kwargs(),
        )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), padding="same", name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, softmax_output(x))
