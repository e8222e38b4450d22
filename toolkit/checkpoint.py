"""Per-epoch training checkpoints, so an interrupted `mnx train` / `mnx reproduce` resumes at the
last finished epoch instead of starting over (cnn9 takes ~40 minutes on a 2-core CPU).

    <net_dir>/.checkpoint/weights.weights.h5   model weights after the last finished epoch
    <net_dir>/.checkpoint/optimizer.npz        the optimizer's variables (iterations, slots)
    <net_dir>/.checkpoint/state.json           options, epochs done, history and epoch times so far

state.json is written last and names the options it belongs to and the sha256 of both files; a
checkpoint of other options or with other files
(another recipe, seed, data, epochs...) is ignored and replaced, never resumed from. A resumed
run is not bitwise identical to an uninterrupted one (the shuffling RNG restarts).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mnx.toolkit.artifacts import atomic_path, read_json, sha256_file, write_json_atomic

CHECKPOINT_DIR = ".checkpoint"
_WEIGHTS = "weights.weights.h5"
_OPTIMIZER = "optimizer.npz"
_STATE = "state.json"


@dataclass
class Resume:
    """Where training starts: epoch 0 with nothing, or after a checkpoint's last epoch."""

    epochs_done: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)


class Checkpoint:
    def __init__(self, net_dir: Path, options: dict[str, Any]) -> None:
        self.dir = net_dir / CHECKPOINT_DIR
        # JSON round-trip so comparisons see what state.json will hold
        self.options = json.loads(json.dumps(options, default=str))

    def restore(self, model: Any) -> Resume:
        """Load weights and optimizer state into the compiled `model` if a checkpoint of the same
        options exists; otherwise clear any foreign checkpoint and start from epoch 0."""
        state_path = self.dir / _STATE
        if not state_path.exists():
            return Resume()
        try:
            state = read_json(state_path)
            if state.get("options") != self.options or state.get("sha256") != self._digests():
                self.clear()  # other options, or files that are not the ones state.json names
                return Resume()
            model.optimizer.build(model.trainable_variables)  # before loading: slots exist
            model.load_weights(self.dir / _WEIGHTS)
            saved = np.load(self.dir / _OPTIMIZER)
            arrays = [saved[f"v{i}"] for i in range(len(saved.files))]
            variables = model.optimizer.variables
            if len(variables) != len(arrays):
                raise ValueError("optimizer variables differ")
            for var, arr in zip(variables, arrays, strict=True):
                var.assign(arr)
        except Exception:  # unreadable or mismatched checkpoint: never resume from it
            self.clear()
            return Resume()
        return Resume(
            epochs_done=int(state["epochs_done"]),
            history={k: list(v) for k, v in state["history"].items()},
            seconds=list(state["seconds"]),
        )

    def save(
        self, model: Any, epochs_done: int, history: dict[str, list[float]], seconds: list[float]
    ) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / _STATE).unlink(missing_ok=True)  # the pair below is only trusted via state
        with atomic_path(self.dir / _WEIGHTS) as tmp:
            model.save_weights(tmp)
        with atomic_path(self.dir / _OPTIMIZER) as tmp, open(tmp, "wb") as fh:
            arrays: dict[str, Any] = {
                f"v{i}": np.asarray(v) for i, v in enumerate(model.optimizer.variables)
            }
            np.savez(fh, **arrays)
        write_json_atomic(
            self.dir / _STATE,
            {
                "options": self.options,
                "epochs_done": epochs_done,
                "history": history,
                "seconds": seconds,
                "sha256": self._digests(),
            },
        )

    def _digests(self) -> dict[str, str]:
        return {name: sha256_file(self.dir / name) for name in (_WEIGHTS, _OPTIMIZER)}

    def clear(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def callback(self, resume: Resume, timer: Any) -> Any:
        """A Keras callback that checkpoints after every epoch."""
        import keras

        ckpt = self
        history = {k: list(v) for k, v in resume.history.items()}

        class EpochCheckpoint(keras.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                for key, value in (logs or {}).items():
                    history.setdefault(key, []).append(float(value))
                ckpt.save(self.model, epoch + 1, history, resume.seconds + list(timer.seconds))

        return EpochCheckpoint()
