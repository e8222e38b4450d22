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

from mnx.errors import CorruptArtifactError, MissingArtifactError, MissingDependencyError
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
        if not self.path.is_file():
            raise MissingArtifactError(
                f"Keras model '{self.path}' does not exist",
                expected="a model.keras written by `mnx train`",
                fix="run `mnx train NAME` first",
            )
        try:
            import keras
        except ImportError as exc:
            raise MissingDependencyError(
                f"Keras cannot be imported ({exc})",
                expected="Keras 3 with TensorFlow, as `pip install mnx` installs them",
                fix="pip install 'tensorflow>=2.16,<2.22' 'keras>=3.3' (or reinstall mnx)",
            ) from exc
        try:
            self.model = keras.saving.load_model(self.path, compile=False)
        except Exception as exc:  # Keras raises ValueError/OSError/zipfile errors
            raise CorruptArtifactError(
                f"Keras cannot load '{self.path}' ({str(exc).splitlines()[0][:200]})",
                expected="a .keras file written by `mnx train`",
                fix="delete it and re-run `mnx train NAME`",
            ) from exc
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
