"""What a training run is asked for (`TrainConfig`) and what it recorded (`TrainResult`, the
content of train.json), apart from the training code so readers need no Keras."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mnx.errors import MnxError
from mnx.toolkit.keras_backend import BACKENDS

MAX_EPOCHS = 1000


class TrainingIncompleteError(MnxError):
    """Training ended before its last epoch; nothing was written."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train. None means "the recipe's value" (epochs, batch size) or "the backend Keras
    would use anyway" (keras_backend). `limit` trains on the first N training images."""

    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 0
    limit: int | None = None
    keras_backend: str | None = None

    def __post_init__(self) -> None:
        if self.epochs is not None and not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs must be between 1 and {MAX_EPOCHS}, got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        # numpy's legacy seeding (used by keras.utils.set_random_seed) takes 0 <= seed < 2**32.
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be between 0 and {2**32 - 1}, got {self.seed}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 training images, got {self.limit}")
        if self.keras_backend is not None and self.keras_backend not in BACKENDS:
            raise ValueError(
                f"keras_backend must be one of {', '.join(BACKENDS)}, got {self.keras_backend!r}"
            )


@dataclass(frozen=True)
class TrainResult:
    """What one training run produced. Test metrics are on the full test set of the data used
    (also the validation set, as in the notebooks). Times include the per-epoch validation pass."""

    name: str
    net_dir: Path
    model_path: Path
    test_loss: float
    test_accuracy: float
    reported_accuracy: float | None  # the seed notebook's figure, for comparison
    epochs: int
    batch_size: int
    seed: int
    limit: int | None
    train_images: int
    test_images: int
    seconds_per_epoch: tuple[float, ...]
    mean_seconds_per_epoch: float
    keras_backend: str
    params: int
    data_sha256: str
    data_source: str
    data_subset: bool
    history: dict[str, list[float]] = field(default_factory=dict)
    plots: tuple[Path, ...] = ()
    #: "1 of 20 epochs, 2,000 training images" when the run trained less than its recipe
    #: (--epochs below it, or --limit); None for a full run. `mnx list` and bench read it.
    partial: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("net_dir", "model_path"):
            d[key] = str(d[key])
        d["plots"] = [str(p) for p in self.plots]
        d["seconds_per_epoch"] = list(self.seconds_per_epoch)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainResult:
        names = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in names}
        kw["net_dir"] = Path(kw["net_dir"])
        kw["model_path"] = Path(kw["model_path"])
        kw["plots"] = tuple(Path(p) for p in kw.get("plots", ()))
        kw["seconds_per_epoch"] = tuple(kw["seconds_per_epoch"])
        return cls(**kw)
