"""TensorRT's explicit-quantization rules, as the TensorRT double's ONNX parser enforces them.

What TensorRT's ONNX parser (onnx-tensorrt, operator notes for QuantizeLinear/DequantizeLinear)
and its Q/DQ layers reject, and mnx's INT8 file must therefore avoid (docs/tensorrt/notes.md):
- a DequantizeLinear input that is not INT8 / FP8 / INT4 / FP4 (e.g. ORT's INT32 biases);
- a QuantizeLinear output that is not one of those (e.g. uint8 activations);
- a zero point other than 0, a scale <= 0;
- per-channel scales on another axis than the weights' output channels (Conv: 0; MatMul: 1;
  Gemm: 0 with transB=1, else 1), or a scale count other than that axis's size.
`problems(model)` lists each violation in words close to TensorRT's; empty means the file passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

INT8, UINT8, INT32 = 3, 2, 6
FP8 = {17, 18, 19, 20}  # FLOAT8E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ
INT4, FP4 = 22, 23
ALLOWED = {INT8, INT4, FP4} | FP8
TYPE_NAMES = {1: "FLOAT", 2: "UINT8", 3: "INT8", 6: "INT32", 7: "INT64", 10: "FLOAT16", 22: "INT4"}


def _type_name(t: int | None) -> str:
    return TYPE_NAMES.get(t or 0, str(t))


def problems(model: Any) -> list[str]:
    from onnx import numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    consts = {n.output[0]: n.attribute[0].t for n in graph.node if n.op_type == "Constant"}
    tensors = {**consts, **inits}
    produced_by = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list[Any]] = {}
    for n in graph.node:
        for i, name in enumerate(n.input):
            consumers.setdefault(name, []).append((n, i))

    def array(name: str) -> np.ndarray | None:
        return numpy_helper.to_array(tensors[name]) if name in tensors else None

    def dtype(name: str) -> int | None:
        if name in tensors:
            return int(tensors[name].data_type)
        src = produced_by.get(name)
        if src is not None and src.op_type == "QuantizeLinear":
            return dtype(src.input[2]) if len(src.input) > 2 and src.input[2] else UINT8
        return None

    out = []
    for idx, node in enumerate(graph.node):
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear"):
            continue
        where = f"In node {idx} with name: {node.name} and operator: {node.op_type}"
        has_zp = len(node.input) > 2 and bool(node.input[2])
        if node.op_type == "DequantizeLinear":
            t = dtype(node.input[0])
            if t is not None and t not in ALLOWED:
                out.append(
                    f"{where}: INVALID_NODE: DequantizeLinear input '{node.input[0]}' is "
                    f"{_type_name(t)}; TensorRT dequantizes INT8, FP8, INT4 or FP4 only"
                )
        else:
            t = dtype(node.input[2]) if has_zp else UINT8
            if t not in ALLOWED:
                out.append(
                    f"{where}: INVALID_NODE: QuantizeLinear output is {_type_name(t)}; "
                    "TensorRT quantizes to INT8, FP8, INT4 or FP4 only"
                )
        scale = array(node.input[1])
        if scale is None:
            out.append(f"{where}: INVALID_NODE: the scale must be a constant (an initializer)")
            continue
        if not np.all(scale > 0):
            out.append(f"{where}: INVALID_NODE: scale values must be positive")
        zp = array(node.input[2]) if has_zp else None
        if zp is not None and np.any(zp != 0):
            out.append(f"{where}: INVALID_NODE: TensorRT supports only zero points of 0")
        if scale.size > 1:
            out += _per_channel(where, node, scale, array(node.input[0]), consumers)
    return out


def _per_channel(
    where: str, node: Any, scale: np.ndarray, weights: np.ndarray | None, consumers: Any
) -> list[str]:
    axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
    if weights is None:
        return [f"{where}: INVALID_NODE: per-channel quantization of an activation"]
    axis = axis % weights.ndim
    if scale.size != weights.shape[axis]:
        return [
            f"{where}: INVALID_NODE: {scale.size} scales for axis {axis} of size "
            f"{weights.shape[axis]}; per-channel needs one scale per channel"
        ]
    out = []
    for user, slot in consumers.get(node.output[0], []):
        want = None
        if user.op_type in ("Conv", "ConvTranspose") and slot == 1:
            want = 0 if user.op_type == "Conv" else 1
        elif user.op_type == "MatMul" and slot == 1:
            want = weights.ndim - 1
        elif user.op_type == "Gemm" and slot == 1:
            trans_b = next((a.i for a in user.attribute if a.name == "transB"), 0)
            want = 0 if trans_b else 1
        if want is not None and axis != want:
            out.append(
                f"{where}: INVALID_NODE: per-channel weights of {user.op_type} "
                f"'{user.name}' quantized on axis {axis}; TensorRT needs the output-channel "
                f"axis {want}"
            )
    return out
