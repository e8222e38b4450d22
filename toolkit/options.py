"""The named choices every layer shares, defined once: precisions, benchmark backends, TensorRT
build routes and INT8 calibrators, as str enums (`Precision.FP16 == "fp16"`), plus the one
parser that turns user text into them with a did-you-mean message.

Members format as their value (`f"{Precision.FP16}"` is "fp16"), compare equal to
plain strings, and serialize to JSON as strings, so records written before these types existed
still load and compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TypeVar

from mnx.errors import ConfigError, UnknownNameError


class StrEnum(str, Enum):
    """`enum.StrEnum` for Python 3.10 too: str() and format() give the value."""

    __str__ = str.__str__
    __format__ = str.__format__  # type: ignore[assignment]


class Precision(StrEnum):
    FP32 = "fp32"
    FP16 = "fp16"
    INT8 = "int8"
    BF16 = "bf16"  # a compile setting of the FP32 file: OpenVINO only, where the CPU has bf16


#: The precisions an ONNX file is exported in (and TensorRT builds engines for).
FILE_PRECISIONS: tuple[Precision, ...] = (Precision.FP32, Precision.FP16, Precision.INT8)


class Backend(StrEnum):
    """A benchmark backend, spelled as on the command line."""

    KERAS = "keras"
    ORT = "ort"
    ORT_CUDA = "ort-cuda"
    TRT = "trt"
    OPENVINO = "openvino"

    @property
    def needs_gpu(self) -> bool:
        return self in (Backend.ORT_CUDA, Backend.TRT)


#: What `mnx bench` runs when --backend is not given.
DEFAULT_BACKENDS: tuple[Backend, ...] = (
    Backend.KERAS,
    Backend.ORT,
    Backend.ORT_CUDA,
    Backend.TRT,
    Backend.OPENVINO,
)


class Route(StrEnum):
    """How a TensorRT engine gets its precision."""

    STRONGLY_TYPED = "strongly-typed"  # from the FP16 / Q/DQ INT8 ONNX
    BUILDER_FLAGS = "builder-flags"  # FP16 flag / INT8 calibrator on the FP32 ONNX (TRT <= 10)


class Calibrator(StrEnum):
    """INT8 calibrator of the TensorRT builder-flags route."""

    ENTROPY = "entropy"
    MINMAX = "minmax"


class KerasBackend(StrEnum):
    """The framework Keras 3 runs on (`--keras-backend`, $KERAS_BACKEND)."""

    TENSORFLOW = "tensorflow"
    JAX = "jax"
    TORCH = "torch"


class KerasMode(StrEnum):
    """The timed Keras call (never `model.predict`: it builds a tf.data pipeline per call)."""

    PREDICT_ON_BATCH = "predict_on_batch"
    FUNCTION = "function"  # a compiled tf.function; plain model(x) on other Keras backends


class Preprocess(StrEnum):
    """How raw MNIST pixels (uint8 0..255) become a user's model file's input (`--preprocess`)."""

    DIV255 = "/255"
    NORMALIZE = "normalize"  # (x/255 - 0.1307) / 0.3081, torchvision's MNIST mean and std
    NONE = "none"


E = TypeVar("E", bound=StrEnum)

_KIND: dict[type[StrEnum], str] = {
    Precision: "precision",
    Backend: "backend",
    Route: "TensorRT build route",
    Calibrator: "calibrator",
    KerasMode: "Keras mode",
    KerasBackend: "Keras backend",
    Preprocess: "preprocessing",
}


def parse_one(enum: type[E], value: str | E, *, kind: str | None = None, hint: str = "") -> E:
    """`value` as a member of `enum`, or UnknownNameError (exit 2) listing the choices."""
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        raise UnknownNameError(
            kind or _KIND.get(enum, enum.__name__.lower()),
            str(value),
            [m.value for m in enum],
            hint=hint or None,
        ) from None


def parse_many(
    enum: type[E], values: Iterable[str | E], *, kind: str | None = None, hint: str = ""
) -> tuple[E, ...]:
    """Members in the order given, duplicates dropped; at least one."""
    out: list[E] = []
    for v in values:
        member = parse_one(enum, v, kind=kind, hint=hint)
        if member not in out:
            out.append(member)
    if not out:
        name = kind or _KIND.get(enum, enum.__name__.lower())
        raise ConfigError(
            f"No {name} given",
            expected="one or more of: " + ", ".join(m.value for m in enum),
            fix=hint or None,
        )
    return tuple(out)


def split_csv(value: str) -> list[str]:
    """'a, b,,c' -> ['a', 'b', 'c'] (how the CLI spells lists)."""
    return [v.strip() for v in value.split(",") if v.strip()]


def check_range(
    what: str,
    value: float | None,
    lo: float,
    hi: float,
    *,
    fix: str,
    unit: str = "",
) -> None:
    """ConfigError naming the range unless lo <= value <= hi (None passes: "not given").
    NaN and infinities fail: no comparison holds for NaN, and inf is above every `hi`."""
    if value is None or lo <= value <= hi:
        return
    unit_s = f" {unit}" if unit else ""
    raise ConfigError(
        f"{what} {_num(value)}{unit_s} is out of range",
        expected=f"a value from {_num(lo)} to {_num(hi)}{unit_s}",
        fix=fix,
    )


def _num(v: float) -> str:
    return (
        str(v) if isinstance(v, int) or v != v or v in (float("inf"), float("-inf")) else f"{v:g}"
    )
