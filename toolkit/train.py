"""Train a registered network with its seed recipe and write its artifacts atomically.

    from mnx.toolkit.train import TrainConfig, train
    result = train("cnn9", TrainConfig(), Path("artifacts"))

Writes under <root>/<name>/: model.keras, history.json, plots/loss.png, plots/accuracy.png, a
manifest record for model.keras, and train.json last. Nothing is written under a final name until
training has finished, so Ctrl-C or a crash leaves no file that a later command would trust.

Keras is imported inside functions: the Keras backend (`TrainConfig.keras_backend`) must be chosen
through $KERAS_BACKEND before Keras is first imported, see `select_backend`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnx.errors import (
    CorruptArtifactError,
    MissingArtifactError,
    MissingDependencyError,
    MnxError,
    UsageError,
)
from mnx.toolkit.artifacts import (
    atomic_path,
    is_current,
    load_manifest,
    network_dir,
    read_json,
    record_artifact,
    sha256_file,
    utc_now,
    write_json_atomic,
)
from mnx.toolkit.checkpoint import Checkpoint, Resume
from mnx.toolkit.options import KerasBackend

if TYPE_CHECKING:
    from mnx.architectures.registry import Network
    from mnx.toolkit.data import Mnist

MODEL_FILE = "model.keras"
HISTORY_FILE = "history.json"
TRAIN_FILE = "train.json"
PLOTS_DIR = "plots"
MAX_EPOCHS = 1000
BACKENDS = tuple(b.value for b in KerasBackend)
# The pip package that provides each backend's import.
_BACKEND_PIP = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


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


# --- Keras backend ----------------------------------------------------------------------------


def select_backend(backend: str | None) -> None:
    """Make Keras use `backend` by setting $KERAS_BACKEND; call before Keras is first imported.

    Raises MissingDependencyError if the backend's package is not installed, and UsageError if
    Keras is already running on another backend in this process.
    """
    if backend is None:
        return
    if backend not in BACKENDS:
        raise UsageError(
            f"Unknown Keras backend '{backend}'",
            expected="one of: " + ", ".join(BACKENDS),
            fix="pass --keras-backend tensorflow, jax or torch",
        )
    if importlib.util.find_spec(backend) is None:
        raise MissingDependencyError(
            f"The Keras backend '{backend}' is not installed",
            expected=f"the '{backend}' Python package",
            fix=f"pip install {_BACKEND_PIP[backend]}, or use --keras-backend tensorflow",
        )
    keras = sys.modules.get("keras")
    if keras is not None:
        running = keras.backend.backend()
        if running != backend:
            raise UsageError(
                f"Keras is already running on the '{running}' backend in this process",
                expected=f"the backend chosen before Keras is imported ('{backend}')",
                fix=f"run in a fresh process, e.g. KERAS_BACKEND={backend} mnx train ...",
            )
        return
    os.environ["KERAS_BACKEND"] = backend


def _seed_everything(seed: int) -> None:
    import keras

    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend's global seed
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # TF promises bitwise-equal seeded runs only with op determinism (multi-threaded and
        # GPU kernels may otherwise reorder float sums). Process-wide and one-way. Measured on a
        # 2-core CPU: m31_k3 runs were identical with or without it, at the same speed.
        tf.config.experimental.enable_op_determinism()


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    x_train: Any
    y_train: Any
    x_test: Any
    y_test: Any


def _prepare(net: Network, data: Mnist, limit: int | None) -> _Prepared:
    from mnx.toolkit.data import one_hot, preprocess

    n_train = len(data.x_train)
    if limit is not None and limit > n_train:
        raise UsageError(
            f"--limit {limit} is more than the {n_train:,} training images in {data.source}",
            expected=f"a limit between 1 and {n_train}",
            fix=f"pass --limit {n_train} or less, or omit --limit to train on all images",
        )
    stop = limit if limit is not None else n_train
    pre, layout = net.recipe.preprocessing, net.layout
    return _Prepared(
        x_train=preprocess(data.x_train[:stop], pre, layout),
        y_train=one_hot(data.y_train[:stop]),
        x_test=preprocess(data.x_test, pre, layout),
        y_test=one_hot(data.y_test),
    )


# --- training ---------------------------------------------------------------------------------


def _epoch_timer() -> Any:
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Wall seconds per epoch, including that epoch's validation pass (as Keras prints)."""

        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self._start = 0.0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def resolved_options(net: Network, config: TrainConfig, data_sha256: str) -> dict[str, Any]:
    """The options a trained model.keras is recorded with; equal options = same training."""
    from mnx.toolkit.versions import keras_backend

    return {
        "recipe": net.recipe.to_dict(),
        "epochs": config.epochs or net.recipe.epochs,
        "batch_size": config.batch_size or net.recipe.batch_size,
        "seed": config.seed,
        "limit": config.limit,
        "keras_backend": config.keras_backend or keras_backend() or "tensorflow",
        "data_sha256": data_sha256,
    }


def train(
    name: str,
    config: TrainConfig,
    root: Path,
    data: Mnist | None = None,
    *,
    callbacks: Sequence[Any] = (),
    verbose: int | None = None,
    resume: bool = True,
) -> TrainResult:
    """Train network `name` with its seed recipe and write its artifacts under `root/name/`.

    As in every seed notebook (docs/catalog.md §0), the test set is also the validation set
    (`validation_data=(x_test, y_test)`), so the per-epoch validation curves match the notebooks'
    and the last epoch's validation figures are the test figures. `data` defaults to
    `toolkit.data.load_mnist()`. `callbacks` are extra Keras callbacks; `verbose` defaults to a
    progress bar on a terminal and one line per epoch otherwise. No XLA (`jit_compile=False`):
    on CPU it made these networks ~5x slower. After every epoch a checkpoint is kept
    (toolkit.checkpoint); with `resume`, an interrupted run of the same options continues from
    its last finished epoch.
    """
    from mnx.architectures import get

    net = get(name)  # unknown name fails before anything slow happens
    select_backend(config.keras_backend)
    net_dir = network_dir(name, root, create=True)  # an unwritable root fails before training

    if data is None:
        from mnx.toolkit.data import load_mnist

        data = load_mnist()
    prepared = _prepare(net, data, config.limit)
    options = resolved_options(net, config, data.sha256)
    epochs, batch_size = options["epochs"], options["batch_size"]

    import keras

    backend = keras.backend.backend()
    if config.keras_backend and backend != config.keras_backend:
        raise UsageError(  # $KERAS_BACKEND was overridden by an earlier import
            f"Keras is running on '{backend}', not the requested '{config.keras_backend}'",
            fix=f"run in a fresh process with KERAS_BACKEND={config.keras_backend}",
        )
    options["keras_backend"] = backend
    _seed_everything(config.seed)
    model = net.build()
    model.compile(
        optimizer=net.recipe.make_optimizer(),
        loss=net.recipe.make_loss(),
        metrics=["accuracy"],
        jit_compile=False,
    )
    timer = _epoch_timer()
    checkpoint = Checkpoint(net_dir, options)
    start = checkpoint.restore(model) if resume else Resume()
    if not resume:
        checkpoint.clear()
    if start.epochs_done:
        print(
            f"Resuming '{name}' after epoch {start.epochs_done} of {epochs} (checkpoint).",
            file=sys.stderr,
        )
    fit = model.fit(
        prepared.x_train,
        prepared.y_train,
        batch_size=batch_size,
        epochs=epochs,
        initial_epoch=min(start.epochs_done, epochs),
        validation_data=(prepared.x_test, prepared.y_test),
        callbacks=[timer, checkpoint.callback(start, timer), *callbacks],
        verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2),
    )
    history = {k: list(v) for k, v in start.history.items()}
    for key, vals in fit.history.items():
        history.setdefault(key, []).extend(float(v) for v in vals)
    seconds = start.seconds + list(timer.seconds)
    if len(history.get("loss", [])) < epochs:
        # A callback set stop_training: the model is not the one the options describe.
        raise TrainingIncompleteError(
            f"Training of '{name}' stopped after {len(history.get('loss', []))} of {epochs} epochs",
            expected="every requested epoch to run",
            fix="remove the callback that stops training, or pass fewer --epochs",
        )
    # Keras computes val_* at each epoch's end with the final weights of that epoch, in inference
    # mode, exactly as evaluate() would; the last epoch's values are the test figures.
    test_loss, test_accuracy = history["val_loss"][-1], history["val_accuracy"][-1]
    result = _write_artifacts(
        net,
        net_dir,
        model,
        options,
        history,
        seconds,
        data,
        prepared,
        test_loss=test_loss,
        test_accuracy=test_accuracy,
    )
    checkpoint.clear()  # the finished model supersedes it
    from mnx.toolkit.user_archs import remember

    remember(net.name, net_dir)  # an --arch-file network is found again without the flag
    return result


def _inference_copy(net: Network, model: Any) -> Any:
    """The trained weights in a fresh, uncompiled build of the same network.

    model.keras keeps architecture and weights but no compile state: Keras-2.2 recipes train
    with a plain-function loss that a bare `keras.saving.load_model(path)` cannot deserialize.
    Resuming uses the separate per-epoch checkpoint (toolkit.checkpoint), not this file."""
    fresh = net.build()
    fresh.set_weights(model.get_weights())
    return fresh


def _write_artifacts(
    net: Network,
    net_dir: Path,
    model: Any,
    options: dict[str, Any],
    history: dict[str, list[float]],
    seconds: list[float],
    data: Mnist,
    prepared: _Prepared,
    *,
    test_loss: float,
    test_accuracy: float,
) -> TrainResult:
    from mnx.toolkit import plots
    from mnx.toolkit.versions import versions

    model_path = net_dir / MODEL_FILE
    train_path = net_dir / TRAIN_FILE
    # train.json vouches for model.keras: drop the old one before the model is replaced, so a
    # crash between the two renames leaves a model with no train.json, never a mismatched pair.
    train_path.unlink(missing_ok=True)
    with atomic_path(model_path) as tmp:
        _inference_copy(net, model).save(tmp)
    write_json_atomic(
        net_dir / HISTORY_FILE, {"epoch": list(range(1, len(seconds) + 1)), **history}
    )
    title = f"{net.name} ({net.recipe.optimizer}, batch {options['batch_size']})"
    plot_paths = (
        plots.loss_curve(history, net_dir / PLOTS_DIR / "loss.png", title=title),
        plots.accuracy_curve(history, net_dir / PLOTS_DIR / "accuracy.png", title=title),
    )
    vers = versions()
    data_info = {"sha256": data.sha256, "source": data.source, "subset": data.subset}
    record_artifact(net_dir, MODEL_FILE, options=options, versions=vers, extra={"data": data_info})
    result = TrainResult(
        name=net.name,
        net_dir=net_dir,
        model_path=model_path,
        test_loss=test_loss,
        test_accuracy=test_accuracy,
        reported_accuracy=net.reported_accuracy,
        epochs=options["epochs"],
        batch_size=options["batch_size"],
        seed=options["seed"],
        limit=options["limit"],
        train_images=len(prepared.x_train),
        test_images=len(prepared.x_test),
        seconds_per_epoch=tuple(seconds),
        mean_seconds_per_epoch=sum(seconds) / len(seconds),
        keras_backend=options["keras_backend"],
        params=int(model.count_params()),
        data_sha256=data.sha256,
        data_source=data.source,
        data_subset=data.subset,
        history=history,
        plots=plot_paths,
    )
    record = {
        **result.to_dict(),
        "recipe": net.recipe.to_dict(),
        "data": data_info,
        "model_sha256": sha256_file(model_path),
        "versions": vers,
        "created": utc_now(),
    }
    write_json_atomic(train_path, record)  # last: its presence means the run completed
    return result


# --- reading back -----------------------------------------------------------------------------


def is_trained_current(
    name: str, root: Path, config: TrainConfig, data_sha256: str | None = None
) -> bool:
    """True when <root>/<name>/model.keras and train.json exist, the model is unchanged since it
    was recorded, and it was trained with the same recipe, config and data. `data_sha256`
    defaults to that of `toolkit.data.load_mnist()` (the data `train` would use)."""
    from mnx.architectures import get

    net = get(name)
    net_dir = network_dir(name, root)
    if not (net_dir / MODEL_FILE).exists() or not (net_dir / TRAIN_FILE).exists():
        return False
    if data_sha256 is None:
        from mnx.toolkit.data import load_mnist

        data_sha256 = load_mnist().sha256
    options = resolved_options(net, config, data_sha256)
    return is_current(net_dir, MODEL_FILE, source=None, options=options)


def read_train_result(name: str, root: Path) -> TrainResult:
    """The TrainResult recorded in <root>/<name>/train.json."""
    path = network_dir(name, root) / TRAIN_FILE
    if not path.exists():
        raise MissingArtifactError(
            f"No completed training of '{name}' in '{path.parent}'",
            expected=f"{path}",
            fix=f"run `mnx train {name}`",
        )
    try:
        return TrainResult.from_dict(read_json(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptArtifactError(
            f"'{path}' is not a train record written by mnx ({exc})",
            expected="train.json from `mnx train`",
            fix=f"run `mnx train {name}` again",
        ) from exc


def load_trained_model(name: str, root: Path) -> Any:
    """Load <root>/<name>/model.keras, or raise MissingArtifactError / CorruptArtifactError."""
    from mnx.architectures import get

    get(name)
    path = network_dir(name, root) / MODEL_FILE
    if not path.exists():
        raise MissingArtifactError(
            f"'{name}' has not been trained: no {MODEL_FILE} in '{path.parent}'",
            expected=f"{path}",
            fix=f"run `mnx train {name}` first (add --epochs 1 for a quick model)",
        )
    import zipfile

    if zipfile.is_zipfile(path):
        import keras

        try:
            return keras.saving.load_model(path, compile=False)
        except Exception as exc:  # h5py, JSON, deserialization errors all mean "not our model"
            reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = "it is not a .keras (zip) archive; it may be truncated or another kind of file"
    rec = load_manifest(path.parent)["artifacts"].get(MODEL_FILE)
    if rec and rec.get("sha256") != sha256_file(path):
        reason += "; it differs from the file `mnx train` recorded"
    raise CorruptArtifactError(
        f"'{path}' cannot be loaded as a Keras model ({reason})",
        expected="a .keras file saved by `mnx train`",
        fix=f"delete it and run `mnx train {name}` again",
    )
