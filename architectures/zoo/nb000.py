"""Notebook 000: variants of Keras `examples/mnist_cnn.py` (docs/catalog.md §1).

Standalone Keras 2.2: `Adadelta()` meant learning_rate=1.0; 12 epochs, batch 128, x/255.
Keras is imported inside the builders so listing the zoo never loads TensorFlow.
"""

from __future__ import annotations

from typing import Any

from mnx.architectures.recipe import ADADELTA_KERAS22, InputLayout
from mnx.architectures.registry import Family, register
from mnx.architectures.zoo._common import image_input, recipe, softmax_output

SEED = "000"
RECIPE = recipe(ADADELTA_KERAS22, epochs=12, batch_size=128)


def _kerasex_2conv(dense_init: str) -> Any:
    import keras
    from keras import layers

    inputs = image_input()
    x = layers.Conv2D(32, (3, 3), activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(64, (3, 3), activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)
    x = layers.Dropout(0.25, name="drop1")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", kernel_initializer=dense_init, name="dense1")(x)
    x = layers.Dropout(0.5, name="drop2")(x)
    return keras.Model(inputs, softmax_output(x, dense_init))


def _conv3_bn_32_32_64() -> Any:
    import keras
    from keras import layers

    inputs = image_input()
    x = inputs
    for i, (filters, pool) in enumerate([(32, False), (32, True), (64, True)], start=1):
        x = layers.Conv2D(filters, (3, 3), name=f"conv{i}")(x)
        x = layers.BatchNormalization(axis=-1, name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        if pool:
            x = layers.MaxPooling2D((2, 2), name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, name="dense1")(x)
    x = layers.BatchNormalization(name="bn4")(x)
    x = layers.Activation("relu", name="relu4")(x)
    x = layers.Dropout(0.2, name="drop1")(x)
    return keras.Model(inputs, softmax_output(x))


@register(
    "conv2_keras",
    seed=SEED,
    section="000-A In[1] 'Conv 2 Layer'",
    family=Family.CNN,
    recipe=RECIPE,
    reported_accuracy=0.9926,
    params=1_199_882,
    layout=InputLayout.IMAGE,
    catalog_slug="cnn_kerasex_2conv",
    description="Keras mnist_cnn example: 2 convs (32, 64) + dense 128 "
    "(table 99.26%; the shown log ends at 99.21%)",
)
def conv2_keras() -> Any:
    """Keras example CNN: conv32-conv64-pool-dense128."""
    return _kerasex_2conv("glorot_uniform")


@register(
    "conv3_bn",
    seed=SEED,
    section="000-B '3 layer CNN'",
    family=Family.CNN,
    recipe=RECIPE,
    reported_accuracy=0.9945,
    params=442_026,
    layout=InputLayout.IMAGE,
    catalog_slug="cnn_3conv_bn_32_32_64",
    description="3 convs (32, 32, 64) with batch norm + dense 256",
)
def conv3_bn() -> Any:
    """3 convs (32, 32, 64) with BN + dense 256."""
    # The second BN after conv3 is a page-break duplicate (000-E, same code, has one): single BN.
    return _conv3_bn_32_32_64()


@register(
    "conv5_bn",
    seed=SEED,
    section="000-C '5 Layer CNN'",
    family=Family.CNN,
    recipe=RECIPE,
    reported_accuracy=0.9948,
    params=223_850,
    layout=InputLayout.IMAGE,
    catalog_slug="cnn_5conv_bn_do04",
    description="5 convs (32, 32, 64, 64, 128) with BN, dropout 0.4, dense 256-128",
)
def conv5_bn() -> Any:
    """5 convs with BN and dropout 0.4."""
    import keras
    from keras import layers

    inputs = image_input()  # the seed gave no input_shape; Keras built it on 28x28x1 at fit time
    x = layers.Conv2D(32, 5, activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(32, 5, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, 2, name="pool1")(x)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.Dropout(0.4, name="drop1")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv3")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv4")(x)
    x = layers.MaxPooling2D(2, 2, name="pool2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.Dropout(0.4, name="drop2")(x)
    x = layers.Conv2D(128, 3, activation="relu", name="conv5")(x)
    x = layers.BatchNormalization(name="bn3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, activation="relu", name="dense1")(x)
    x = layers.Dropout(0.4, name="drop3")(x)
    x = layers.Dense(128, activation="relu", name="dense2")(x)
    x = layers.Dropout(0.4, name="drop4")(x)
    return keras.Model(inputs, softmax_output(x))


@register(
    "conv7_bn",
    seed=SEED,
    section="000-D '7 Layer CNN'",
    family=Family.CNN,
    recipe=RECIPE,
    reported_accuracy=0.9944,
    params=515_530,
    layout=InputLayout.IMAGE,
    catalog_slug="cnn_7conv_bn_do04",
    description="7 convs (32, 32, 32, 64, 64, 64, 128) with BN, dropout 0.4, dense 256-128",
)
def conv7_bn() -> Any:
    """7 convs with BN and dropout 0.4."""
    import keras
    from keras import layers

    def conv(filters: int, name: str, padding: str = "same") -> Any:
        return layers.Conv2D(filters, 3, activation="relu", padding=padding, name=name)

    inputs = image_input()
    x = conv(32, "conv1", padding="valid")(inputs)
    x = conv(32, "conv2")(x)
    x = conv(32, "conv3")(x)
    x = layers.MaxPooling2D(2, 2, name="pool1")(x)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.Dropout(0.4, name="drop1")(x)
    # Both convs at the page break are kept: the title and table say 7 conv layers.
    x = conv(64, "conv4")(x)
    x = conv(64, "conv5")(x)
    x = layers.MaxPooling2D(2, 2, name="pool2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.Dropout(0.4, name="drop2")(x)
    x = conv(64, "conv6")(x)
    x = layers.MaxPooling2D(2, 2, name="pool3")(x)
    x = layers.BatchNormalization(name="bn3")(x)
    x = layers.Dropout(0.4, name="drop3")(x)
    x = conv(128, "conv7")(x)
    x = layers.BatchNormalization(name="bn4")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, activation="relu", name="dense1")(x)
    x = layers.Dropout(0.4, name="drop4")(x)
    x = layers.Dense(128, activation="relu", name="dense2")(x)
    x = layers.Dropout(0.4, name="drop5")(x)
    return keras.Model(inputs, softmax_output(x))


@register(
    "conv3_bn_aug",
    seed=SEED,
    section="000-E '3 Layer CNN with data augmentation'",
    family=Family.CNN,
    recipe=RECIPE,
    reported_accuracy=0.9941,
    params=442_026,
    layout=InputLayout.IMAGE,
    catalog_slug="cnn_3conv_bn_32_32_64_aug",
    description="Re-run of conv3_bn; its ImageDataGenerator was defined but never applied",
)
def conv3_bn_aug() -> Any:
    """conv3_bn again (the seed's augmentation never reached model.fit)."""
    return _conv3_bn_32_32_64()


@register(
    "conv2_keras_glorot",
    seed=SEED,
    section="000-F In[8]",
    family=Family.CNN,
    recipe=RECIPE,
    reported_accuracy=0.9922,
    params=1_199_882,
    layout=InputLayout.IMAGE,
    catalog_slug="cnn_kerasex_2conv_glorotnormal",
    description="conv2_keras with glorot_normal dense kernels (the table mislabels it 99.2%)",
)
def conv2_keras_glorot() -> Any:
    """conv2_keras with glorot_normal Dense kernels."""
    return _kerasex_2conv("glorot_normal")
