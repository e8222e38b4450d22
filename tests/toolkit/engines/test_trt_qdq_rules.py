"""The TensorRT double rejects every Q/DQ file real TensorRT rejects (the rules mnx relies on),
and accepts mnx's own TensorRT-form INT8 file while rejecting the ONNX Runtime CPU form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from support.fakes import tensorrt as fake_trt

onnx = pytest.importorskip("onnx")


def _qdq_model(
    *,
    weight_axis: int = 0,
    weight_scales: int = 4,
    zero_point: int = 0,
    act_scale: float = 0.02,
    act_type: int = 3,  # INT8
    bias_int32: bool = False,
    gemm_axis: int = 1,
) -> Any:
    """input (N,1,6,6) -> Q/DQ -> Conv(4 ch, 3x3, per-channel weights) -> Flatten -> Gemm(.,10)."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    np_act = np.int8 if act_type == TensorProto.INT8 else np.uint8
    w = rng.integers(-127, 127, (4, 1, 3, 3)).astype(np.int8)
    g = rng.integers(-127, 127, (64, 10)).astype(np.int8)
    inits = [
        numpy_helper.from_array(np.float32(act_scale), "a_s"),
        numpy_helper.from_array(np.array(zero_point, np_act), "a_z"),
        numpy_helper.from_array(w, "w_q"),
        numpy_helper.from_array(np.full(weight_scales, 0.01, np.float32), "w_s"),
        numpy_helper.from_array(np.zeros(weight_scales, np.int8), "w_z"),
        numpy_helper.from_array(g, "g_q"),
        numpy_helper.from_array(np.full(g.shape[gemm_axis], 0.01, np.float32), "g_s"),
        numpy_helper.from_array(np.zeros(g.shape[gemm_axis], np.int8), "g_z"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "a_s", "a_z"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "a_s", "a_z"], ["xd"], name="dq_in"),
        helper.make_node(
            "DequantizeLinear", ["w_q", "w_s", "w_z"], ["wd"], name="dq_w", axis=weight_axis
        ),
        helper.make_node(
            "DequantizeLinear", ["g_q", "g_s", "g_z"], ["gd"], name="dq_g", axis=gemm_axis
        ),
    ]
    if bias_int32:
        inits += [
            numpy_helper.from_array(np.arange(4, dtype=np.int32), "b_q"),
            numpy_helper.from_array(np.full(4, 2e-4, np.float32), "b_s"),
        ]
        nodes.append(helper.make_node("DequantizeLinear", ["b_q", "b_s"], ["bd"], name="dq_b"))
    else:
        inits.append(numpy_helper.from_array(np.zeros(4, np.float32), "bd"))
    nodes += [
        helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], name="conv"),
        helper.make_node("Flatten", ["c"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "gd"], ["output"], name="dense"),
    ]
    graph = helper.make_graph(
        nodes,
        "qdq",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 6, 6])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _parse(model: Any, version: str = fake_trt.V11) -> list[str]:
    trt = fake_trt.make_tensorrt(version)
    logger = trt.Logger()
    network = trt.Builder(logger).create_network(
        1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    )
    parser = trt.OnnxParser(network, logger)
    if parser.parse(model.SerializeToString()):
        return []
    return [str(parser.get_error(i)) for i in range(parser.num_errors)]


@pytest.mark.parametrize("version", [fake_trt.V10, fake_trt.V11])
def test_a_well_formed_qdq_file_parses(version: str) -> None:
    assert _parse(_qdq_model(), version) == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"bias_int32": True}, "input 'b_q' is INT32; TensorRT dequantizes INT8"),
        ({"act_type": 2}, "QuantizeLinear output is UINT8"),
        ({"zero_point": 3}, "only zero points of 0"),
        ({"act_scale": 0.0}, "scale values must be positive"),
        ({"act_scale": -0.5}, "scale values must be positive"),
        ({"weight_axis": 1, "weight_scales": 1}, None),  # per-tensor: any axis is fine
        ({"weight_axis": 1}, "4 scales for axis 1 of size 1"),
        ({"weight_scales": 3}, "3 scales for axis 0 of size 4"),
        ({"gemm_axis": 0}, "weights of Gemm 'dense' quantized on axis 0; .* axis 1"),
    ],
)
def test_each_tensorrt_qdq_rule_rejects_a_bad_file(
    bad: dict[str, Any], message: str | None
) -> None:
    import re

    errors = _parse(_qdq_model(**bad))
    if message is None:
        assert errors == []
    else:
        assert any(re.search(message, e) for e in errors), errors


def test_conv_weights_on_a_wrong_axis_of_equal_size_are_caught() -> None:
    """Axis 1 of a (4, 4, 1, 1) weight has 4 channels too: only the axis rule can catch it."""
    from onnx import numpy_helper

    model = _qdq_model(weight_axis=1)
    for init in model.graph.initializer:
        if init.name == "w_q":
            init.CopyFrom(numpy_helper.from_array(np.ones((4, 4, 1, 1), np.int8), "w_q"))
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 4
    errors = _parse(model)
    assert any("weights of Conv 'conv' quantized on axis 1" in e for e in errors), errors


def test_mnx_tensorrt_form_parses_and_the_cpu_form_does_not(tmp_path: Path) -> None:
    """toolkit/export/precision.py's two files from one calibration: model.int8.onnx obeys the
    rules (float biases, int8 activations); model.int8.u8.onnx (int32 biases, uint8
    activations) is what TensorRT would reject, so it must never be its input."""
    from onnx import TensorProto, helper, numpy_helper

    from mnx.toolkit.export.calibration import CalibrationMethod, compute_ranges
    from mnx.toolkit.export.precision import Int8Encoding, int8_from_onnx, prepare_for_int8

    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.3, (4, 1, 3, 3)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.normal(0, 0.1, (4,)).astype(np.float32), "b"),
        numpy_helper.from_array(rng.normal(0, 0.1, (64, 10)).astype(np.float32), "g"),
        numpy_helper.from_array(rng.normal(0, 0.1, (10,)).astype(np.float32), "gb"),
        numpy_helper.from_array(np.array([0, 64], np.int64), "shape"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "w", "b"], ["c"], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Reshape", ["r", "shape"], ["f"], name="flatten"),
        helper.make_node("MatMul", ["f", "g"], ["m"], name="dense"),
        helper.make_node("Add", ["m", "gb"], ["output"], name="dense_bias"),
    ]
    graph = helper.make_graph(
        nodes,
        "toy",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 6, 6])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "fp32.onnx"))
    prepared = prepare_for_int8(tmp_path / "fp32.onnx", tmp_path / "prepared.onnx")
    x = rng.random((32, 1, 6, 6), dtype=np.float32)
    ranges = compute_ranges(prepared, x, CalibrationMethod.MINMAX)
    out = {}
    for enc in Int8Encoding:
        out[enc] = int8_from_onnx(
            prepared, tmp_path / enc.filename, ranges, CalibrationMethod.MINMAX, enc
        )
    assert _parse(out[Int8Encoding.S8]) == []
    ops = {n.op_type for n in out[Int8Encoding.S8].graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    cpu = _parse(out[Int8Encoding.U8])
    assert any("INT32" in e for e in cpu) and any("UINT8" in e for e in cpu), cpu
