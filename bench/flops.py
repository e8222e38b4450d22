"""FLOPs per image, counted from the ONNX graph at batch 1 (or from Keras layers).

Counts the multiply-accumulates of Conv, Gemm and MatMul (and their quantized forms) as 2 FLOPs each
(the convention of most papers and of fvcore/ptflops); elementwise ops, pooling, softmax and
batch-norm are left out — under 1% of the work for every network in the zoo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def onnx_flops_per_image(onnx_path: Path) -> int | None:
    """FLOPs of one image through the model, or None if shapes cannot be inferred."""
    import onnx
    from onnx import shape_inference

    model = onnx.load(str(onnx_path))
    for inp in model.graph.input:
        dims = inp.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = 1
    try:
        # ONNX Runtime's symbolic inference follows the Shape -> Reshape chains tf2onnx emits for
        # Flatten, where onnx's own inference leaves the dense layers' shapes unknown.
        from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

        model = SymbolicShapeInference.infer_shapes(model, auto_merge=True)
    except Exception:
        try:
            model = shape_inference.infer_shapes(model, strict_mode=False)
        except Exception:  # shape inference failing only means "not measured"
            return None
    shapes: dict[str, list[int]] = {}
    for vi in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        dims = [
            d.dim_value if d.HasField("dim_value") else -1 for d in vi.type.tensor_type.shape.dim
        ]
        shapes[vi.name] = dims
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)

    total = 0
    for node in model.graph.node:
        if node.op_type in ("Conv", "QLinearConv", "ConvInteger"):
            w_idx = 3 if node.op_type == "QLinearConv" else 1
            w = shapes.get(node.input[w_idx])
            y = shapes.get(node.output[0])
            if w is None or y is None or not _known(w) or not _known(y):
                return None
            # y: (N, M, H, W); w: (M, C/group, kH, kW) -> MACs = N*M*H*W * C/group*kH*kW
            total += 2 * int(np.prod(y)) * int(np.prod(w[1:]))
        elif node.op_type in ("Gemm", "MatMul", "MatMulInteger", "QLinearMatMul"):
            a = shapes.get(node.input[0])
            y = shapes.get(node.output[0])
            if a is None or y is None or not _known(a) or not _known(y):
                return None
            k = a[-1]
            if node.op_type == "Gemm" and _attr(node, "transA", 0):
                k = a[0]
            total += 2 * int(np.prod(y)) * int(k)
    return total


def keras_flops_per_image(model: Any) -> int:
    """FLOPs of Dense and Conv2D layers of a Keras model (batch 1)."""
    import keras

    total = 0
    for layer in _walk(model):
        if isinstance(layer, keras.layers.Dense):
            total += 2 * int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
        elif isinstance(layer, keras.layers.Conv2D):
            out = layer.output.shape  # (None, H, W, C) channels-last
            kh, kw, cin_g, cout = layer.kernel.shape
            total += 2 * int(out[1]) * int(out[2]) * int(cout) * int(kh) * int(kw) * int(cin_g)
    return total


def _walk(model: Any) -> list[Any]:
    out = []
    for layer in getattr(model, "layers", []):
        out.extend(_walk(layer) if hasattr(layer, "layers") else [layer])
    return out


def _known(shape: list[int]) -> bool:
    return bool(shape) and all(d > 0 for d in shape)


def _attr(node: Any, name: str, default: int) -> int:
    for a in node.attribute:
        if a.name == name:
            return int(a.i)
    return default
