"""Training recipes: what a seed notebook really did to train a network."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Preprocessing(str, Enum):
    """How raw uint8 pixels become model input."""

    DIV255 = "div255"  # x.astype(float32) / 255 (notebooks 000, 002, 003, 004)
    KERAS_NORMALIZE = "keras_normalize"  # keras.utils.normalize(x, axis=1) (notebook 001)


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
    loss: str = "categorical_crossentropy"

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")

    def make_optimizer(self) -> Any:
        import keras

        cls = getattr(keras.optimizers, self.optimizer)
        return cls(learning_rate=self.learning_rate, **self.optimizer_args)

    def describe(self) -> str:
        return f"{self.optimizer}(lr={self.learning_rate:g}), {self.epochs} ep, batch {self.batch_size}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["preprocessing"] = self.preprocessing.value
        return d


# The recipes of the five notebooks (CATALOG.md §0 and per-notebook shared settings).
# Keras 2.2 Adadelta(): lr=1.0, rho=0.95, epsilon=K.epsilon()=1e-7.
ADADELTA_KERAS22 = dict(optimizer="Adadelta", learning_rate=1.0, optimizer_args={"rho": 0.95, "epsilon": 1e-7})
# tf.keras 1.13 / Keras 2.2 'adam': lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7.
ADAM_DEFAULT = dict(optimizer="Adam", learning_rate=0.001, optimizer_args={"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7})
