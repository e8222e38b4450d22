"""Per-epoch checkpoints: an interrupted training resumes at its last finished epoch."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnx.toolkit.checkpoint import CHECKPOINT_DIR
from mnx.toolkit.train import TrainConfig, train


def _interrupt_after(epoch_count: int):  # type: ignore[no-untyped-def]
    import keras

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):  # type: ignore[no-untyped-def]
            if epoch + 1 == epoch_count:
                raise KeyboardInterrupt

    return Stop()


def _epoch_counter():  # type: ignore[no-untyped-def]
    import keras

    class Count(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epochs: list[int] = []

        def on_epoch_begin(self, epoch, logs=None):  # type: ignore[no-untyped-def]
            self.epochs.append(epoch)

    return Count()


def test_interrupted_training_resumes_from_checkpoint(tmp_path: Path, subset_data) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "art"
    config = TrainConfig(epochs=3, limit=600, seed=0)
    with pytest.raises(KeyboardInterrupt):
        train("m31_k3", config, root, data=subset_data, verbose=0, callbacks=[_interrupt_after(2)])
    net_dir = root / "m31_k3"
    assert not (net_dir / "model.keras").exists()  # nothing a later command would trust
    assert (net_dir / CHECKPOINT_DIR / "state.json").exists()

    counter = _epoch_counter()
    result = train("m31_k3", config, root, data=subset_data, verbose=0, callbacks=[counter])
    assert counter.epochs == [2]  # only the missing third epoch ran
    assert len(result.history["loss"]) == 3 and len(result.seconds_per_epoch) == 3
    assert (net_dir / "model.keras").exists()
    assert not (net_dir / CHECKPOINT_DIR).exists()  # cleared once the model is written


def test_checkpoint_of_other_options_is_not_resumed(tmp_path: Path, subset_data) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "art"
    with pytest.raises(KeyboardInterrupt):
        train(
            "linear",
            TrainConfig(epochs=3, limit=500, seed=0),
            root,
            data=subset_data,
            verbose=0,
            callbacks=[_interrupt_after(2)],
        )
    counter = _epoch_counter()
    train(
        "linear",
        TrainConfig(epochs=3, limit=500, seed=1),
        root,
        data=subset_data,
        verbose=0,
        callbacks=[counter],
    )
    assert counter.epochs == [0, 1, 2]  # another seed: started over


def test_resume_false_starts_over(tmp_path: Path, subset_data) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "art"
    config = TrainConfig(epochs=2, limit=500, seed=0)
    with pytest.raises(KeyboardInterrupt):
        train("linear", config, root, data=subset_data, verbose=0, callbacks=[_interrupt_after(1)])
    counter = _epoch_counter()
    train("linear", config, root, data=subset_data, verbose=0, callbacks=[counter], resume=False)
    assert counter.epochs == [0, 1]
