"""Keras -> ONNX FP32: `onnx_from_keras`.

The exported model has one float32 input "input" ((N, 28, 28, 1) or (N, 784), N dynamic) and one
float32 output "output" ((N, 10) softmax), is validated by `onnx.checker` and written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mnx.errors import ExportError, UsageError
from mnx.toolkit.artifacts import atomic_path
from mnx.toolkit.runners.base import INPUT_NAME, OUTPUT_NAME

# tf2onnx 1.17 maps opsets up to 18 (tf2onnx.constants.OPSET_TO_IR_VERSION). The floor is 13:
# per-channel QuantizeLinear/DequantizeLinear (the `axis` attribute) needs opset 13, and the
# FP16/INT8 variants are made from this model.
MIN_OPSET = 13
MAX_OPSET = 18
SUPPORTED_OPSETS = tuple(range(MIN_OPSET, MAX_OPSET + 1))
DEFAULT_OPSET = 17
BATCH_DIM = "batch"


def check_opset(opset: int) -> int:
    """`opset` if mnx can export with it, else UsageError listing the valid range."""
    if opset not in SUPPORTED_OPSETS:
        raise UsageError(
            f"Unsupported ONNX opset {opset}",
            expected=f"an opset from {MIN_OPSET} to {MAX_OPSET} (tf2onnx 1.17 supports up to "
            f"{MAX_OPSET}; Q/DQ per-channel INT8 needs at least {MIN_OPSET})",
            fix=f"pass --opset {DEFAULT_OPSET} (the default) or another value in that range",
        )
    return opset


def load_keras_model(keras_path: Path) -> Any:
    """Alias of toolkit.keras_model.load_keras (the one loader)."""
    from mnx.toolkit.keras_model import load_keras

    return load_keras(keras_path)


def onnx_from_keras(
    keras_path: Path, out_path: Path, opset: int = DEFAULT_OPSET, *, model: Any = None
) -> Any:
    """Convert a saved Keras 3 model to an FP32 ONNX file at `out_path`; returns the ModelProto.

    `model` may pass the already-loaded Keras model to skip loading it again.
    """
    check_opset(opset)
    keras_model = model if model is not None else load_keras_model(keras_path)
    in_shape = tuple(keras_model.input_shape)
    if len(in_shape) not in (2, 4):
        raise ExportError(
            f"'{keras_path.parent.name}' has input shape {in_shape}",
            expected="(None, 784) or (None, 28, 28, 1)",
            fix="give the builder an explicit keras.Input of one of those shapes",
        )
    what = f"ONNX model converted from '{keras_path.name}'"
    return onnx_from_model(
        keras_model,
        tuple(in_shape[1:]),
        "float32",
        out_path,
        opset,
        f"'{keras_path.parent.name}'",
        what,
    )


def onnx_from_model(
    model: Any,
    per_sample: tuple[int | None, ...],
    dtype: str,
    out_path: Path,
    opset: int,
    label: str,
    what: str,
) -> Any:
    """A loaded Keras 3 model to a checked ONNX file with mnx's input/output names (`label` names
    the model in errors, `what` the file); returns the ModelProto."""
    import tensorflow as tf
    import tf2onnx

    spec = tf.TensorSpec((None, *per_sample), tf.as_dtype(dtype), name=INPUT_NAME)

    # tf2onnx.convert.from_keras fails on Keras 3 models (KeyError on the model's inputs,
    # onnx/tensorflow-onnx#2448); tracing the model inside a tf.function works for Keras 3.
    @tf.function(input_signature=[spec])
    def forward(x: Any) -> Any:
        return model(x, training=False)

    try:
        proto, _ = tf2onnx.convert.from_function(forward, input_signature=[spec], opset=opset)
    except Exception as exc:
        raise ExportError(
            f"tf2onnx could not convert {label} at opset {opset} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'})",
            expected="a model made of layers tf2onnx can convert",
            fix="try another --opset, or replace the unsupported layer",
        ) from exc

    _name_io(proto)
    check_and_save(proto, out_path, what)
    return proto


def check_and_save(proto: Any, out_path: Path, what: str) -> None:
    """onnx.checker (full) then an atomic save; a failing check is an ExportError."""
    import onnx

    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as exc:
        raise ExportError(
            f"The {what} fails onnx.checker ({exc})",
            expected="a valid ONNX model",
            fix="re-run with `mnx --debug export ...` and report the output",
        ) from exc
    with atomic_path(out_path) as tmp:
        onnx.save_model(proto, str(tmp))


def _name_io(proto: Any) -> None:
    """Give the graph the contract's names ("input", "output") and a named dynamic batch dim."""
    graph = proto.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ExportError(
            f"The converted graph has {len(graph.input)} inputs and {len(graph.output)} outputs",
            expected="exactly one input and one output",
            fix="export a single-input, single-output model",
        )
    _rename(graph, graph.input[0].name, INPUT_NAME)
    _rename(graph, graph.output[0].name, OUTPUT_NAME)
    for value in (graph.input[0], graph.output[0]):
        dim0 = value.type.tensor_type.shape.dim[0]
        dim0.ClearField("dim_value")
        dim0.dim_param = BATCH_DIM


def _rename(graph: Any, old: str, new: str) -> None:
    if old == new:
        return
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.name == old:
            value.name = new
