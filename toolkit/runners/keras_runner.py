"""Keras runner: times the call a server would make, never `model.predict`.

`model.predict` builds a tf.data pipeline per call (~49 ms for one image here), which measures
Keras's batching machinery, not the network. Two honest modes:

- ``predict_on_batch`` (default): Keras's own single-batch entry point, numpy in and out.
- ``function``: ``tf.function(model(x, training=False), reduce_retracing=True)``, the compiled
  call a TensorFlow serving path uses; on other Keras backends the plain ``model(x)`` call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mnx.toolkit.options import KerasMode, parse_one
from mnx.toolkit.runners.base import Runner

MODES = tuple(m.value for m in KerasMode)


class KerasRunner(Runner):
    """Runs a saved `.keras` model in FP32."""

    backend = "keras"

    def __init__(
        self, model_path: str | Path, mode: KerasMode | str = KerasMode.PREDICT_ON_BATCH
    ) -> None:
        super().__init__()
        self.mode = parse_one(KerasMode, mode, hint="pass --keras-mode")
        self.path = Path(model_path)
        self.model: Any = None
        self._call: Any = None

    @property
    def timed_scope(self) -> str:  # type: ignore[override]
        if self.mode is KerasMode.PREDICT_ON_BATCH:
            return "host: Keras model.predict_on_batch (numpy in -> numpy out)"
        return "host: compiled tf.function model(x, training=False) + .numpy()"

    @property
    def model_file(self) -> Path:
        return self.path

    def _load(self) -> None:
        from mnx.toolkit.keras_model import import_keras, load_keras

        keras = import_keras()  # a fix-it error when Keras cannot import, before the file is read
        self.model = load_keras(self.path)
        if self.mode is KerasMode.PREDICT_ON_BATCH:
            self._call = self.model.predict_on_batch
        elif keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            fn = tf.function(lambda x: self.model(x, training=False), reduce_retracing=True)
            self._call = lambda x: fn(x).numpy()
        else:
            self._call = lambda x: np.asarray(self.model(x, training=False))

    def infer(self, x: np.ndarray) -> np.ndarray:
        return self._call(x)

    def _close(self) -> None:
        self.model = None
        self._call = None
