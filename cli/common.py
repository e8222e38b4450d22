"""What several command modules share: option bounds with the range in the message, and the
TensorFlow import that commands needing Keras pay only after their options were checked."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from typing import TypeVar

import click

from mnx.errors import MissingDependencyError

N = TypeVar("N", int, float)


def bounded(
    lo: N, hi: N, fix: str, unit: str = ""
) -> Callable[[click.Context, click.Parameter, N | None], N | None]:
    """A click callback accepting lo <= value <= hi (None: not given); NaN and inf fail."""

    def check(ctx: click.Context, param: click.Parameter, value: N | None) -> N | None:
        if value is None:
            return value
        if (not isinstance(value, float) or math.isfinite(value)) and lo <= value <= hi:
            return value
        unit_s = f" {unit}" if unit else ""
        raise click.BadParameter(
            f"{value} is out of range. Expected: {lo} to {hi}{unit_s}. Fix: {fix}."
        )

    return check


def require_tensorrt() -> None:
    """`--trt` asked for engines: fail before any work when TensorRT cannot run here. The GPU is
    checked first: without one, installing TensorRT would not help."""
    from mnx.toolkit.gpu import gpu_info, load_tensorrt

    if gpu_info() is None:
        raise MissingDependencyError(
            "--trt was given, but this machine has no NVIDIA GPU (neither cuda-python nor "
            "nvidia-smi sees one)",
            expected="an NVIDIA GPU with a working driver: TensorRT runs only there, so "
            "installing TensorRT here would not help",
            fix="drop --trt (or use --no-trt), or run on a machine with an NVIDIA GPU",
        )
    try:
        load_tensorrt()
    except MissingDependencyError as exc:
        raise MissingDependencyError(
            f"--trt was given, but {exc.what[0].lower()}{exc.what[1:]}",
            expected=exc.expected,
            fix=f"{exc.fix}; or drop --trt" if exc.fix else "drop --trt",
        ) from exc


def require_keras() -> None:
    """Import Keras (and TensorFlow, when it is Keras's backend) once the command knows it needs
    them, or raise MissingDependencyError with the fix. TensorFlow's C++ start-up chatter
    (CUDA-driver probes printed before its logging is configured, so TF_CPP_MIN_LOG_LEVEL cannot
    hide them) is kept off the terminal unless --debug; on failure it is shown with the error."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    try:
        if backend == "tensorflow" and sys.modules.get("tensorflow") is None:
            if os.environ.get("MNX_DEBUG"):
                import tensorflow  # noqa: F401
            else:
                from mnx.toolkit.keras_backend import import_tensorflow_quietly

                import_tensorflow_quietly()
        import keras  # noqa: F401
    except ImportError as exc:
        what = "TensorFlow" if backend == "tensorflow" else f"Keras (backend '{backend}')"
        raise MissingDependencyError(
            f"{what} cannot be imported ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})",
            expected="TensorFlow 2.16 to 2.21 with Keras 3, as `pip install mnx` installs them",
            fix="pip install 'tensorflow>=2.16,<2.22' 'keras>=3.3' (or reinstall mnx); "
            "--debug shows the full import error",
        ) from exc
