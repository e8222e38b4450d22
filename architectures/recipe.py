"""Training recipes: what a seed notebook really did to train a network."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Preprocessing(str, Enum):
    """How raw uint8 pixels become model input."""

    DIV255 = "div255"  # x.astype(float32) / 255 (notebooks 000, 002, 003, 004)
    KERAS_NORMALIZE = "keras_normalize"  # keras.utils.normalize(x, axis=1) (notebook 001)


class Loss(str, Enum):
    """The training loss. Both are categorical cross-entropy on softmax probabilities, but they
    differ in a way that decides whether some seed recipes train at all."""

    # Keras 3: on a softmax output it uses the logits (softmax_cross_entropy_with_logits).
    CCE = "categorical_crossentropy"
    # Standalone Keras 2.2 (notebooks 000, 002, 003, 004): renormalise, clip the probabilities to
    # [1e-7, 1 - 1e-7], then -sum(y * log p). The clip zeroes the gradient of saturated samples;
    # measured here, notebook 003's `linear` with SGD(lr=0.5) diverges to NaN in its first epoch
    # with CCE and reaches 90.2% with this loss (the notebook: 88.9% after epoch 1).
    CCE_KERAS2 = "categorical_crossentropy_keras2"


def keras2_categorical_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """Keras 2.2's categorical_crossentropy on probabilities (tensorflow_backend.py, from_logits=False)."""
    from keras import ops

    y_pred = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
    return -ops.sum(y_true * ops.log(y_pred), axis=-1)


class InputLayout(str, Enum):
    IMAGE = "image"  # (N, 28, 28, 1)
    FLAT = "flat"  # (N, 784)


@dataclass(frozen=True)
class Recipe:
    """The seed's training config. `optimizer` is a Keras optimizer class name; `optimizer_args`
    holds every argument with its real value (old Keras's `Adadelta()` meant learning_rate=1.0)."""

    optimizer: str
    learning_rate: float
    epochs: int
    batch_size: int
    preprocessing: Preprocessing = Preprocessing.DIV255
    optimizer_args: dict[str, Any] = field(default_factory=dict)
    loss: Loss = Loss.CCE

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")

    def make_optimizer(self) -> Any:
        import keras

        cls = getattr(keras.optimizers, self.optimizer, None)
        if not isinstance(cls, type) or not issubclass(cls, keras.optimizers.Optimizer):
            from mnx.errors import UsageError

            raise UsageError(
                f"Unknown optimizer '{self.optimizer}' in the recipe",
                expected="a Keras optimizer class name, e.g. Adam, SGD, RMSprop, Adadelta",
                fix="set Recipe(optimizer=...) to one of keras.optimizers' classes",
            )
        try:
            return cls(learning_rate=self.learning_rate, **self.optimizer_args)
        except (TypeError, ValueError) as exc:
            from mnx.errors import UsageError

            raise UsageError(
                f"Optimizer {self.optimizer} rejects the recipe's arguments ({exc})",
                expected=f"arguments keras.optimizers.{self.optimizer} accepts",
                fix="correct Recipe(optimizer_args=...)",
            ) from exc

    def make_loss(self) -> Any:
        """The Keras loss (a name Keras knows, or the Keras-2.2 function)."""
        if self.loss == Loss.CCE_KERAS2:
            return keras2_categorical_crossentropy
        return self.loss.value

    def describe(self) -> str:
        return f"{self.optimizer}(lr={self.learning_rate:g}), {self.epochs} ep, batch {self.batch_size}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["preprocessing"] = self.preprocessing.value
        d["loss"] = self.loss.value
        return d


# The recipes of the five notebooks (docs/catalog.md §0 and per-notebook shared settings).
# Keras 2.2 Adadelta(): lr=1.0, rho=0.95, epsilon=K.epsilon()=1e-7.
ADADELTA_KERAS22 = dict(
    optimizer="Adadelta",
    learning_rate=1.0,
    optimizer_args={"rho": 0.95, "epsilon": 1e-7},
    loss=Loss.CCE_KERAS2,
)
# tf.keras 1.13 / Keras 2.2 'adam': lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7.
# The same with Keras 2.2's loss (notebook 002, standalone Keras).
ADAM_DEFAULT = dict(
    optimizer="Adam",
    learning_rate=0.001,
    optimizer_args={"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    loss=Loss.CCE_KERAS2,
)
# Notebook 001 is tf.keras 1.13, whose categorical_crossentropy already took the logits of a
# Softmax op (like Keras 3), so it keeps Keras 3's loss.
ADAM_TFKERAS113 = dict(
    optimizer="Adam",
    learning_rate=0.001,
    optimizer_args={"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    loss=Loss.CCE,
)
