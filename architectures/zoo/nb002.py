"""Notebook 002: "Keras -- MLPs on MNIST", 4 MLPs on flattened (N, 784) input (docs/catalog.md §3).

Adam defaults, 20 epochs; batch 128 for the 512-128 MLP, 100 for the BN/dropout ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mnx.architectures.recipe import ADAM_DEFAULT, InputLayout
from mnx.architectures.registry import Family, register
from mnx.architectures.zoo._common import flat_input, recipe, softmax_output

SEED = "002"


def _mlp(units: Sequence[int], bn_dropout: bool) -> Any:
    """Dense(relu) per entry of `units`, each followed by BN + Dropout(0.5) when asked."""
    import keras
    from keras import layers

    inputs = flat_input()
    x = inputs
    for i, u in enumerate(units, start=1):
        x = layers.Dense(u, activation="relu", name=f"dense{i}")(x)
        if bn_dropout:
            x = layers.BatchNormalization(name=f"bn{i}")(x)
            x = layers.Dropout(0.5, name=f"drop{i}")(x)
    return keras.Model(inputs, softmax_output(x))


@register(
    "mlp_512_128",
    seed=SEED,
    section="0.1 Keras -- MLPs on MNIST",
    family=Family.MLP,
    recipe=recipe(ADAM_DEFAULT, epochs=20, batch_size=128),
    reported_accuracy=0.9836,
    params=468_874,
    layout=InputLayout.FLAT,
    catalog_slug="mlp_512_128_relu",
    description="MLP 512-128 relu",
)
def mlp_512_128() -> Any:
    return _mlp((512, 128), bn_dropout=False)


@register(
    "mlp_400_100_bn",
    seed=SEED,
    section="2 Two Hidden Layers",
    family=Family.MLP,
    recipe=recipe(ADAM_DEFAULT, epochs=20, batch_size=100),
    reported_accuracy=0.9833,
    params=357_110,
    layout=InputLayout.FLAT,
    catalog_slug="mlp_2h_400_100_relu_bn_do05",
    description="MLP 400-100 relu with BN + dropout 0.5",
)
def mlp_400_100_bn() -> Any:
    return _mlp((400, 100), bn_dropout=True)


@register(
    "mlp_400_200_100_bn",
    seed=SEED,
    section="3 Three Hidden Layers",
    family=Family.MLP,
    recipe=recipe(ADAM_DEFAULT, epochs=20, batch_size=100),
    reported_accuracy=0.9829,
    params=418_110,
    layout=InputLayout.FLAT,
    catalog_slug="mlp_3h_400_200_100_relu_bn_do05",
    description="MLP 400-200-100 relu with BN + dropout 0.5",
)
def mlp_400_200_100_bn() -> Any:
    return _mlp((400, 200, 100), bn_dropout=True)


@register(
    "mlp_500_350_200_100_50_bn",
    seed=SEED,
    section="4 Five Hidden Layers",
    family=Family.MLP,
    recipe=recipe(ADAM_DEFAULT, epochs=20, batch_size=100),
    reported_accuracy=0.9829,
    params=668_510,
    layout=InputLayout.FLAT,
    catalog_slug="mlp_5h_500_350_200_100_50_relu_bn_do05",
    description="MLP 500-350-200-100-50 relu with BN + dropout 0.5",
)
def mlp_500_350_200_100_50_bn() -> Any:
    return _mlp((500, 350, 200, 100, 50), bn_dropout=True)
