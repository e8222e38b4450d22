"""Train a registered network with its seed recipe and write its artifacts atomically.

    from mnx.toolkit.train import TrainConfig, train
    result = train("cnn9", TrainConfig(), Path("artifacts"))

Writes under <root>/<name>/, through the store (toolkit.store): model.keras, history.json,
plots/loss.png, plots/accuracy.png, and train.json last. model.keras is trusted only with the
train.json that names its bytes, so Ctrl-C, kill -9 or a crash at any point leaves no model that
a later command would trust; `mnx train` then redoes it (resuming from the checkpoint).

Keras is imported inside functions: the Keras backend (`TrainConfig.keras_backend`) must be chosen
through $KERAS_BACKEND before Keras is first imported, see `select_backend`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnx.errors import (
    UsageError,
)
from mnx.toolkit.artifacts import network_dir, utc_now
from mnx.toolkit.checkpoint import Checkpoint, Resume
from mnx.toolkit.keras_backend import BACKENDS, seed_everything, select_backend
from mnx.toolkit.train_config import (  # noqa: F401  (MAX_EPOCHS: re-exported)
    MAX_EPOCHS,
    TrainConfig,
    TrainingIncompleteError,
    TrainResult,
)

if TYPE_CHECKING:
    from mnx.architectures.registry import Network
    from mnx.toolkit.data import Mnist

MODEL_FILE = "model.keras"
HISTORY_FILE = "history.json"
TRAIN_FILE = "train.json"
PLOTS_DIR = "plots"


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
    model = _compiled_model(net, config, options)
    checkpoint = Checkpoint(net_dir, options)
    history, seconds = _fit(model, prepared, options, checkpoint, resume, callbacks, verbose)
    epochs = options["epochs"]
    if len(history.get("loss", [])) < epochs:
        # A callback set stop_training: the model is not the one the options describe.
        raise TrainingIncompleteError(
            f"Training of '{name}' stopped after {len(history.get('loss', []))} of {epochs} epochs",
            expected="every requested epoch to run",
            fix="remove the callback that stops training, or pass fewer --epochs",
        )
    result = _write_artifacts(net, net_dir, model, options, history, seconds, data, prepared)
    checkpoint.clear()  # the finished model supersedes it
    from mnx.toolkit.user_archs import remember

    remember(net.name, net_dir)  # an --arch-file network is found again without the flag
    return result


def _compiled_model(net: Network, config: TrainConfig, options: dict[str, Any]) -> Any:
    """A freshly seeded, compiled build of `net`; records the backend Keras really runs on."""
    from mnx.toolkit.keras_model import import_keras

    keras = import_keras()
    backend = keras.backend.backend()
    if config.keras_backend and backend != config.keras_backend:
        raise UsageError(  # $KERAS_BACKEND was overridden by an earlier import
            f"Keras is running on '{backend}', not the requested '{config.keras_backend}'",
            fix=f"run in a fresh process with KERAS_BACKEND={config.keras_backend}",
        )
    options["keras_backend"] = backend
    seed_everything(config.seed)
    model = net.build()
    model.compile(
        optimizer=net.recipe.make_optimizer(),
        loss=net.recipe.make_loss(),
        metrics=["accuracy"],
        jit_compile=False,
    )
    return model


def _fit(
    model: Any,
    prepared: _Prepared,
    options: dict[str, Any],
    checkpoint: Checkpoint,
    resume: bool,
    callbacks: Sequence[Any],
    verbose: int | None,
) -> tuple[dict[str, list[float]], list[float]]:
    """Fit from the last checkpoint (with `resume`); returns the whole run's history and
    seconds per epoch, the checkpointed epochs included."""
    epochs = options["epochs"]
    timer = _epoch_timer()
    start = checkpoint.restore(model) if resume else Resume()
    if not resume:
        checkpoint.clear()
    if start.epochs_done:
        print(
            f"Resuming after epoch {start.epochs_done} of {epochs} (checkpoint).", file=sys.stderr
        )
    fit = model.fit(
        prepared.x_train,
        prepared.y_train,
        batch_size=options["batch_size"],
        epochs=epochs,
        initial_epoch=min(start.epochs_done, epochs),
        validation_data=(prepared.x_test, prepared.y_test),
        callbacks=[timer, checkpoint.callback(start, timer), *callbacks],
        verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2),
    )
    history = {k: list(v) for k, v in start.history.items()}
    for key, vals in fit.history.items():
        history.setdefault(key, []).extend(float(v) for v in vals)
    return history, start.seconds + list(timer.seconds)


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
) -> TrainResult:
    """model.keras, then history.json and the plots, then train.json — all through the store.
    model.keras is trusted only once train.json names its bytes (toolkit.store.verify), so a run
    killed anywhere in between leaves a model that every command refuses and `mnx train` redoes.
    As in the notebooks the test set is the validation set: Keras computes val_* at each epoch's
    end with that epoch's final weights in inference mode, so the last ones are the test figures.
    """
    from mnx.toolkit import plots, store
    from mnx.toolkit.versions import versions

    vers = versions()
    data_info = {"sha256": data.sha256, "source": data.source, "subset": data.subset}
    with store.build(net_dir, MODEL_FILE, inputs={}, options=options, versions=vers) as job:
        _inference_copy(net, model).save(job.path)
        job.extra["data"] = data_info
    from_model = {MODEL_FILE: str(job.sha256)}
    _write_json(
        net_dir, HISTORY_FILE, from_model, {"epoch": list(range(1, len(seconds) + 1)), **history}
    )
    title = f"{net.name} ({net.recipe.optimizer}, batch {options['batch_size']})"
    plot_paths = (
        plots.loss_curve(history, net_dir / PLOTS_DIR / "loss.png", title=title),
        plots.accuracy_curve(history, net_dir / PLOTS_DIR / "accuracy.png", title=title),
    )
    result = TrainResult(
        name=net.name,
        net_dir=net_dir,
        model_path=net_dir / MODEL_FILE,
        test_loss=history["val_loss"][-1],
        test_accuracy=history["val_accuracy"][-1],
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
        partial=partial_note(options["epochs"], net.recipe.epochs, options["limit"], prepared),
    )
    record = {**result.to_dict(), "recipe": net.recipe.to_dict(), "data": data_info}
    record.update(model_sha256=from_model[MODEL_FILE], versions=vers, created=utc_now())
    _write_json(net_dir, TRAIN_FILE, from_model, record)  # last: it vouches for model.keras
    return result


def _write_json(net_dir: Path, filename: str, inputs: dict[str, str], obj: Any) -> None:
    from mnx.toolkit import store

    with store.build(net_dir, filename, inputs=inputs) as job:
        text = json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"
        job.path.write_text(text, encoding="utf-8")


def partial_note(epochs: int, recipe_epochs: int, limit: int | None, prepared: Any) -> str | None:
    """What a run trained short of its recipe, or None for a full run."""
    parts = [f"{epochs} of {recipe_epochs} epochs"] if epochs < recipe_epochs else []
    if limit is not None:
        parts.append(f"{len(prepared.x_train):,} training images")
    return ", ".join(parts) or None


# --- reading back: toolkit.trained (kept importable from here) --------------------------------

from mnx.toolkit.trained import (  # noqa: E402
    is_trained_current,
    load_trained_model,
    read_train_result,
)

__all__ = [
    "BACKENDS",
    "TrainConfig",
    "TrainResult",
    "TrainingIncompleteError",
    "is_trained_current",
    "load_trained_model",
    "read_train_result",
    "select_backend",
    "train",
]
