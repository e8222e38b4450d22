"""Which Keras backend trains, chosen before Keras is first imported; seeding for repeatable runs."""

from __future__ import annotations

import importlib.util
import os
import sys

from mnx.errors import MissingDependencyError, UsageError

BACKENDS = ("tensorflow", "jax", "torch")
# The pip package that provides each backend's import.
_BACKEND_PIP = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


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


def seed_everything(seed: int) -> None:
    import keras

    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend's global seed
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # TF promises bitwise-equal seeded runs only with op determinism (multi-threaded and
        # GPU kernels may otherwise reorder float sums). Process-wide and one-way. Measured on a
        # 2-core CPU: m31_k3 runs were identical with or without it, at the same speed.
        tf.config.experimental.enable_op_determinism()


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (CUDA-driver probes, oneDNN notes, printed
    before its logging is set up, so TF_CPP_MIN_LOG_LEVEL cannot hide them) kept off stderr; if
    the import fails, what it printed is shown and the error raised. Used by the CLI and by Ray
    workers."""
    import tempfile

    if sys.modules.get("tensorflow") is not None:
        return
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
