"""Small real ONNX models for the TensorRT tests, made with onnx.helper (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

NAME = "linear"  # a registered FLAT network: calibration images come from its recipe


def make_linear_onnx(path: Path, seed: int = 0) -> Path:
    """784 -> 10 dense + softmax, input 'input' (batch, 784) float32, output 'output'."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w = numpy_helper.from_array(rng.normal(0, 0.05, (784, 10)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.normal(0, 0.05, (10,)).astype(np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["input", "w"], ["mm"], name="dense/matmul"),
            helper.make_node("Add", ["mm", "b"], ["logits"], name="dense/add"),
            helper.make_node("Softmax", ["logits"], ["output"], name="softmax", axis=-1),
        ],
        "linear",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 784])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 10])],
        [w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def make_variants(net_dir: Path, seed: int = 0) -> None:
    """model.fp32.onnx, model.fp16.onnx (keep_io_types) and model.int8.onnx (s8 Q/DQ in
    TensorRT's form, as toolkit/export/precision.py writes it: per-channel int8 weights)."""
    import onnx
    from onnxconverter_common import float16
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    net_dir.mkdir(parents=True, exist_ok=True)
    fp32 = make_linear_onnx(net_dir / "model.fp32.onnx", seed)
    onnx.save(
        float16.convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True),
        str(net_dir / "model.fp16.onnx"),
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(1)
            self.batches = iter(
                [{"input": rng.random((8, 784), dtype=np.float32)} for _ in range(4)]
            )

        def get_next(self):  # type: ignore[no-untyped-def]
            return next(self.batches, None)

    quantize_static(
        str(fp32),
        str(net_dir / "model.int8.onnx"),
        Reader(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],  # TensorRT's form: weighted layers, float bias
        extra_options={"ActivationSymmetric": True, "QuantizeBias": False},
    )
