"""Model files a user brings (an ONNX file to bench, a .keras file to export): what they take and
give, the shapes they run at, the inputs they are fed, and whether MNIST can label them.

`--shapes` follows trtexec: `NAME:1x3x224x224[,NAME2:...]`. The first dimension is the batch: with
one input, a dynamic first dimension takes each `--batch-sizes` value; every other dynamic
dimension must be given, and an error names the ones that are not. With several inputs nothing is
guessed: each input with a dynamic dimension needs a `--shapes` entry.

A file's identity is its sha256: records carry it, so results of a changed file are a new model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import ConfigError, CorruptArtifactError, DataError, MissingArtifactError
from mnx.toolkit.options import Preprocess
from mnx.toolkit.store.verify import SOURCE_RECORD  # in <root>/<stem>/: `mnx export FILE.keras`

__all__ = ["SOURCE_RECORD"]  # re-exported: bench asks it here

MODEL_SUFFIXES = (".onnx", ".keras")
MNIST_SHAPES = ((28, 28, 1), (1, 28, 28), (784,), (28, 28))
NUM_CLASSES = 10
DEFAULT_SEED = 0
Dim = int | str | None  # a fixed size, a named dynamic dimension, or an unnamed dynamic one


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str  # numpy dtype name, e.g. "float32"
    dims: tuple[Dim, ...]

    def dynamic(self) -> list[int]:
        """Indices of dimensions without a fixed size."""
        return [i for i, d in enumerate(self.dims) if not isinstance(d, int) or d <= 0]

    def shape_text(self) -> str:
        return "x".join(
            str(d) if isinstance(d, int) and d > 0 else str(d or "?") for d in self.dims
        )


@dataclass(frozen=True)
class ModelFile:
    """An ONNX file as mnx sees it: identity, size and signature."""

    path: Path
    sha256: str
    size_bytes: int
    params: int  # weight elements (float and 8-bit initializers)
    precision: str  # "int8" (Q/DQ or integer ops), "fp16" (FP16 weights) or "fp32"
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    name: str | None = None  # set when two files of one run share a label

    @property
    def label(self) -> str:
        """The name its rows carry: the file's stem, or for mnx's own `NAME/model.<variant>.onnx`
        the folder's name (its sha256 is recorded beside it either way)."""
        if self.name:
            return self.name
        if self.path.stem.startswith("model.") and self.path.parent.name:
            return self.path.parent.name
        return self.path.stem


def is_model_file(name: str) -> bool:
    """True when a bench/export argument names a file rather than a registered network."""
    # Not "an existing file": a file called `linear` in the working directory must not shadow the
    # registered network; `./linear` names the file.
    return name.lower().endswith(MODEL_SUFFIXES) or "/" in name or os.sep in name


def require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise MissingArtifactError(
            f"{what} '{path}' does not exist" + (" (it is a folder)" if path.is_dir() else ""),
            expected=f"a readable {what} file",
            fix="check the path (registered networks are named without a suffix: `mnx list`)",
        )


def inspect_onnx(path: Path) -> ModelFile:
    """Read an ONNX file's signature, or CorruptArtifactError when it is not a loadable model."""
    import onnx

    from mnx.toolkit.artifacts import sha256_file

    require_file(path, "ONNX model")
    try:
        model = onnx.load(str(path), load_external_data=False)
        if not model.graph.node and not model.graph.output:
            raise ValueError("no graph")
    except Exception as exc:  # protobuf DecodeError, OSError...: the file is not an ONNX model
        raise CorruptArtifactError(
            f"'{path}' cannot be read as an ONNX model ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160] if str(exc) else 'no detail'})",
            expected="an ONNX model file (a serialized onnx.ModelProto)",
            fix="check that the file is complete and really ONNX (e.g. `python -m onnx.checker`)",
        ) from exc
    inits = {i.name for i in model.graph.initializer}
    return ModelFile(
        path=path,
        sha256=sha256_file(path),
        size_bytes=path.stat().st_size,
        params=_params(model),
        precision=_precision(model),
        inputs=tuple(_tensor(v) for v in model.graph.input if v.name not in inits),
        outputs=tuple(_tensor(v) for v in model.graph.output),
    )


def _params(model: Any) -> int:
    """Weight elements: initializers other than int32/int64 ones (shapes, indices, axes)."""
    from onnx import TensorProto

    shapes = (TensorProto.INT64, TensorProto.INT32)
    return int(
        sum(int(np.prod(i.dims)) for i in model.graph.initializer if i.data_type not in shapes)
    )


def _tensor(value: Any) -> TensorInfo:
    from onnx import helper

    tt = value.type.tensor_type
    dims: list[Dim] = []
    for d in tt.shape.dim:
        dims.append(d.dim_value if d.HasField("dim_value") else (d.dim_param or None))
    try:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type)).name
    except Exception:  # an element type numpy has no name for (e.g. bfloat16)
        dtype = f"onnx:{tt.elem_type}"
    return TensorInfo(value.name, dtype, tuple(dims))


def _precision(model: Any) -> str:
    from onnx import TensorProto

    ops = {n.op_type for n in model.graph.node}
    if ops & {"QuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger"}:
        return "int8"
    if any(i.data_type == TensorProto.FLOAT16 for i in model.graph.initializer):
        return "fp16"
    return "fp32"


def parse_shapes(text: str | None) -> dict[str, tuple[int, ...]]:
    """`NAME:1x3x224x224,NAME2:1x10` -> {NAME: (1, 3, 224, 224), ...} (trtexec's syntax)."""
    out: dict[str, tuple[int, ...]] = {}
    for item in [s.strip() for s in (text or "").split(",") if s.strip()]:
        name, sep, dims = item.rpartition(":")
        try:
            if not sep or not name:
                raise ValueError
            shape = tuple(int(d) for d in dims.lower().split("x"))
            if any(d < 1 for d in shape):
                raise ValueError
        except ValueError:
            raise ConfigError(
                f"--shapes entry '{item}' is not NAME:DIMS",
                expected="input name, a colon, and sizes >= 1 joined by x, e.g. input:1x3x224x224",
                fix="pass e.g. --shapes input:1x3x224x224 (comma-separate several inputs)",
            ) from None
        if name in out:
            raise ConfigError(
                f"--shapes gives input '{name}' twice",
                expected="one entry per input",
                fix="drop one of the entries",
            )
        out[name] = shape
    return out


def resolve_shapes(
    info: ModelFile, shapes: Mapping[str, tuple[int, ...]], batch_size: int
) -> dict[str, tuple[int, ...]] | str:
    """Concrete input shapes at `batch_size`, or the reason this batch size cannot run (the
    model's batch dimension is fixed). Bad or missing --shapes raise UsageError."""
    names = [i.name for i in info.inputs]
    unknown = [n for n in shapes if n not in names]
    if unknown:
        raise ConfigError(
            f"--shapes names {', '.join(map(repr, unknown))}, which '{info.path.name}' has no "
            "input called",
            expected="inputs: " + ", ".join(f"{i.name} ({i.shape_text()})" for i in info.inputs),
            fix="use the input names above in --shapes",
        )
    single = len(info.inputs) == 1
    missing = [
        f"{i.name} ({i.shape_text()})"
        for i in info.inputs
        if i.name not in shapes and [d for d in i.dynamic() if d != 0 or not single]
    ]
    if missing:
        why = "dynamic dimensions other than the batch" if single else "dynamic dimensions"
        raise ConfigError(
            f"'{info.path.name}' has {why} in input {', '.join(missing)}",
            expected="a --shapes entry for each such input"
            + ("" if single else " (with several inputs mnx does not guess which is the batch)"),
            fix="pass e.g. --shapes "
            + ",".join(f"{i.name}:{_example(i)}" for i in info.inputs if i.dynamic()),
        )
    out: dict[str, tuple[int, ...]] = {}
    for i in info.inputs:
        given = shapes.get(i.name)
        if given is not None and len(given) != len(i.dims):
            raise ConfigError(
                f"--shapes gives {i.name} {len(given)} dimensions; the model's input has "
                f"{len(i.dims)} ({i.shape_text()})",
                expected=f"{len(i.dims)} sizes joined by x",
                fix=f"pass e.g. --shapes {i.name}:{_example(i)}",
            )
        shape = list(
            given if given is not None else [d if isinstance(d, int) else 1 for d in i.dims]
        )
        for k, d in enumerate(i.dims):
            if isinstance(d, int) and d > 0 and shape[k] != d:
                raise ConfigError(
                    f"--shapes gives {i.name} size {shape[k]} in dimension {k}, fixed at {d} in "
                    "the model",
                    expected=f"a shape compatible with {i.shape_text()}",
                    fix=f"pass e.g. --shapes {i.name}:{_example(i)}",
                )
        if shape:
            if 0 in i.dynamic():
                shape[0] = batch_size
            elif shape[0] != batch_size:
                return f"the model's batch dimension is fixed at {shape[0]}"
        out[i.name] = tuple(shape)
    return out


def _example(i: TensorInfo) -> str:
    return "x".join(str(d) if isinstance(d, int) and d > 0 else "1" for d in i.dims) or "1"


def mnist_layout(info: ModelFile) -> tuple[int, ...] | None:
    """The per-image input shape when the model is an MNIST classifier (one float input of
    28x28x1, 1x28x28, 28x28 or 784 values; one output of 10 values), else None."""
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        return None
    inp, out = info.inputs[0], info.outputs[0]
    per_image = tuple(d if isinstance(d, int) else -1 for d in inp.dims[1:])
    if per_image not in MNIST_SHAPES or not inp.dtype.startswith("float"):
        return None
    if not out.dims or out.dims[-1] != NUM_CLASSES:
        return None
    return per_image


def mnist_inputs(
    images: np.ndarray, per_image: Sequence[int], preprocess: Preprocess
) -> np.ndarray:
    """uint8 MNIST images (N, 28, 28) -> float32 (N, *per_image) scaled by `preprocess`."""
    x = np.asarray(images, dtype=np.float32)
    if preprocess is Preprocess.DIV255:
        x = x / np.float32(255.0)
    elif preprocess is Preprocess.NORMALIZE:
        x = (x / np.float32(255.0) - np.float32(0.1307)) / np.float32(0.3081)
    return np.ascontiguousarray(x.reshape(len(x), *per_image), dtype=np.float32)


@dataclass(frozen=True)
class LabelledData:
    x: np.ndarray
    y: np.ndarray
    source: str  # "MNIST test set" or the .npz path
    sha256: str


def load_npz(path: Path) -> LabelledData:
    """`x` (inputs, first dimension = samples) and `y` (integer labels) from a .npz file."""
    from mnx.toolkit.artifacts import sha256_file

    require_file(path, "Data file")
    try:
        with np.load(path, allow_pickle=False) as f:
            x, y = np.asarray(f["x"]), np.asarray(f["y"])
    except KeyError as exc:
        raise DataError(
            f"'{path}' has no array {exc}",
            expected="a .npz file holding `x` (inputs) and `y` (integer labels)",
            fix="save it with numpy.savez(path, x=inputs, y=labels)",
        ) from None
    except Exception as exc:  # zipfile.BadZipFile, ValueError (pickled), OSError
        raise DataError(
            f"'{path}' cannot be read as a .npz file ({type(exc).__name__})",
            expected="a .npz file from numpy.savez holding `x` and `y` (no pickled objects)",
            fix="save it with numpy.savez(path, x=inputs, y=labels)",
        ) from exc
    if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
        raise DataError(
            f"'{path}' holds x {x.shape} and y {y.shape} ({y.dtype})",
            expected="y: one integer label per sample of x (same first dimension)",
            fix="save integer class labels as y, e.g. y.astype('int64')",
        )
    return LabelledData(x, y.astype(np.int64), str(path), sha256_file(path))


def random_inputs(
    shapes: Mapping[str, tuple[int, ...]], info: ModelFile, seed: int
) -> dict[str, np.ndarray]:
    """Seeded random inputs in each input's dtype: floats uniform in [0, 1), integers and bools
    in {0, 1} (Polygraphy's default data loader ranges, safe for index-like inputs)."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for i in info.inputs:
        shape = shapes[i.name]
        if i.dtype.startswith("onnx:"):
            raise ConfigError(
                f"Input {i.name} has an element type numpy cannot make ({i.dtype})",
                expected="float, integer or bool inputs",
                fix="bench it with trtexec or Polygraphy, or convert the input type",
            )
        dtype = np.dtype(i.dtype)
        if np.issubdtype(dtype, np.floating):
            out[i.name] = rng.random(shape, dtype=np.float64).astype(dtype)
        elif dtype == np.bool_:
            out[i.name] = rng.integers(0, 2, shape).astype(np.bool_)
        else:
            out[i.name] = rng.integers(0, 2, shape).astype(dtype)
    return out
