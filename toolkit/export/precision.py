"""Reduced-precision ONNX from the FP32 ONNX model: `fp16_from_onnx`, `int8_from_onnx`.

Precision lives in the ONNX model (docs/tensorrt/notes.md): TensorRT 11 has no FP16/INT8
builder flags, so the FP16 model and the Q/DQ INT8 models made here serve ONNX Runtime and
every TensorRT alike.
"""

from __future__ import annotations

import inspect
import tempfile
import warnings
from enum import Enum
from pathlib import Path
from typing import Any

from mnx.errors import ExportError
from mnx.toolkit.export.calibration import CalibrationMethod, quantized_op_types
from mnx.toolkit.export.onnx import check_and_save

# Weighted layers: where TensorRT wants Q/DQ on every input (docs/tensorrt/notes.md).
TRT_QUANTIZED_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")


class Int8Encoding(str, Enum):
    """How INT8 activations are stored. Weights are symmetric per-channel int8 in both."""

    # int8 activations, zero point 0: the only Q/DQ form TensorRT builds INT8 kernels from.
    S8 = "int8"
    # uint8 activations (asymmetric), int8 weights: ONNX Runtime's fast x86 CPU path
    # (u8s8 kernels), ~1.6x faster than s8s8 there (docs/tensorrt/notes.md).
    U8 = "int8.u8"

    @property
    def filename(self) -> str:
        return f"model.{self.value}.onnx"

    @property
    def weight_bits(self) -> int:
        """Magnitude bits of the int8 weights: 8 ([-127, 127]) or 7 ([-64, 64], reduce_range).

        U8 is made for ONNX Runtime's x86 CPU kernels. Without VNNI (AVX2 only: this project's
        development and CI CPUs) they multiply u8 x s8 with vpmaddubsw, which sums each pair of
        products in a saturating int16: 2 x 255 x 127 overflows it, so the fused kernels do not
        compute what the Q/DQ file says. 7-bit weights (2 x 255 x 64 < 32767) make them exact.
        Measured here (fused kernels vs graph optimizations off, 10,000 test images), 8-bit
        weights flip top-1 on 484 images of `linear` (-3.5 pp accuracy), 34 of mlp_512_128 and
        13 of m31_k3; 7-bit weights on none. The kernels run at the same speed either way
        (within noise), and 7-bit weights moved exact-Q/DQ test accuracy by <= 0.05 pp,
        so one file serves every CPU (VNNI ones too) and no CPU check is needed. S8 keeps
        8 bits: TensorRT, its target, accumulates in int32.
        """
        return 7 if self is Int8Encoding.U8 else 8

    def settings(self) -> dict[str, Any]:
        """What the file's contents depend on besides the calibration: for manifest options."""
        return {
            "encoding": self.value,
            "weight_bits": self.weight_bits,
            "quantize_bias": self.quantize_bias,
            "op_types": list(self.op_types()),
        }

    @property
    def quantize_bias(self) -> bool:
        """Whether Conv/Gemm biases become int32 behind a DequantizeLinear.

        S8 keeps them float: TensorRT's DequantizeLayer takes INT8/FP8/INT4 inputs only, so an
        INT32 bias fails the ONNX parse (onnxruntime#14229, onnx-tensorrt#850); TensorRT folds a
        float bias into its INT8 kernels itself. U8 keeps ONNX Runtime's int32 biases: its CPU
        QLinearConv/QGemm fusions need them, and that is the file ONNX Runtime runs fast.
        """
        return self is Int8Encoding.U8

    def op_types(self) -> tuple[str, ...]:
        """Op types given Q/DQ inputs.

        S8 (TensorRT): the weighted layers only, TensorRT's recommended placement ("quantize
        all inputs of weighted operations", TensorRT developer guide, explicit quantization).
        It fuses DQ -> Conv/Gemm/MatMul (-> activation) -> Q into one INT8 kernel and moves
        Q/DQ across pooling itself; quantizing BatchNorm's Mul/Add (cnn1's 512- and 128-wide
        scale/shift vectors, per-tensor) only adds rounding it cannot fuse away.
        U8 (ONNX Runtime CPU): everything ONNX Runtime quantizes (minus the final Softmax).
        """
        if self is Int8Encoding.S8:
            return TRT_QUANTIZED_OPS
        return tuple(quantized_op_types())


def fp16_from_onnx(fp32_path: Path, out_path: Path) -> Any:
    """FP16 weights and math, float32 input/output (keep_io_types) so callers feed the same data."""
    import onnx
    from onnxconverter_common import float16

    proto = onnx.load_model(str(fp32_path))
    try:
        with warnings.catch_warnings():
            # One UserWarning per weight below FP16's range ("will be truncated to 1e-07"): a
            # flood on big nets. Whether the FP16 model is good enough is decided by the parity
            # check against Keras on the test set, not by these.
            warnings.filterwarnings("ignore", message=".*will be truncated to.*")
            half = float16.convert_float_to_float16(proto, keep_io_types=True)
    except Exception as exc:
        raise ExportError(
            f"FP16 conversion of '{fp32_path.name}' failed ({type(exc).__name__}: {exc})",
            expected="an FP32 ONNX model onnxconverter-common can convert",
            fix="export without --fp16",
        ) from exc
    check_and_save(half, out_path, "FP16 model")
    return half


def prepare_for_int8(fp32_path: Path, out_path: Path) -> Path:
    """ONNX Runtime's quantization pre-processing (shape inference + graph fusions) of the FP32 model.

    Why: tf2onnx emits Dense layers as MatMul + Add. Quantized as they are, the MatMul output gets
    its own Q/DQ and the bias becomes an 8-bit tensor; measured on m31_k3 that costs symmetric
    INT8 20% top-1 agreement. Fused into Gemm, the bias is added in the layer's accumulator (int32
    in the u8 file, float in TensorRT's s8 file) and the extra rounding is gone.
    Calibration and both encodings use this prepared model, so the tensor names match.
    """
    from onnxruntime.quantization.shape_inference import quant_pre_process

    try:
        quant_pre_process(str(fp32_path), str(out_path))
    except Exception as exc:
        raise ExportError(
            f"Quantization pre-processing of '{fp32_path.name}' failed ({type(exc).__name__}: {exc})",
            expected="an FP32 ONNX model onnxruntime.quantization can pre-process",
            fix="export without --int8, or re-run with --debug and report the output",
        ) from exc
    return out_path


def int8_from_onnx(
    fp32_path: Path,
    out_path: Path,
    ranges: Any,
    method: CalibrationMethod,
    encoding: Int8Encoding,
) -> Any:
    """Q/DQ INT8 model from `fp32_path` and precomputed calibration `ranges` (TensorsData).

    Per-channel symmetric int8 weights (`encoding.weight_bits` of magnitude); activations per
    `encoding`. Calibration is NOT run here: the same ranges feed both encodings.
    """
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    activation = QuantType.QInt8 if encoding is Int8Encoding.S8 else QuantType.QUInt8
    extra = {
        "WeightSymmetric": True,
        "ActivationSymmetric": encoding is Int8Encoding.S8,
        "QuantizeBias": encoding.quantize_bias,
    }
    kwargs: dict[str, Any] = dict(
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=list(encoding.op_types()),
        per_channel=True,
        reduce_range=encoding.weight_bits == 7,  # weights only; activations keep 8 bits
        activation_type=activation,
        weight_type=QuantType.QInt8,
        calibrate_method=method.ort(),
        extra_options=extra,
    )
    with tempfile.TemporaryDirectory(prefix="mnx-int8-") as tmp:
        staged = Path(tmp) / "model.onnx"
        try:
            if "calibration_cache_path" in inspect.signature(quantize_static).parameters:
                # onnxruntime >= 1.24: a calibration cache file skips calibration entirely.
                from onnxruntime.quantization.calibrate import save_tensors_data

                cache = Path(tmp) / "ranges.json"
                save_tensors_data(ranges, cache)
                quantize_static(fp32_path, staged, None, calibration_cache_path=cache, **kwargs)
            else:
                _quantize_with_ranges(fp32_path, staged, ranges, kwargs)
        except Exception as exc:
            raise ExportError(
                f"INT8 quantization ({encoding.value}) of '{fp32_path.name}' failed "
                f"({type(exc).__name__}: {exc})",
                expected="an FP32 ONNX model onnxruntime.quantization can quantize",
                fix="export without --int8, or re-run with --debug and report the output",
            ) from exc
        proto = onnx.load_model(str(staged))
    check_and_save(proto, out_path, f"INT8 ({encoding.value}) model")
    return proto


def _quantize_with_ranges(src: Path, dst: Path, ranges: Any, kw: dict[str, Any]) -> None:
    """What quantize_static does after calibrating, for onnxruntime without a cache path."""
    from onnxruntime.quantization.qdq_quantizer import QDQQuantizer
    from onnxruntime.quantization.quant_utils import load_model_with_shape_infer

    model = load_model_with_shape_infer(src)
    quantizer = QDQQuantizer(
        model,
        kw["per_channel"],
        kw["reduce_range"],
        kw["weight_type"],
        kw["activation_type"],
        ranges,
        [],
        [],
        kw["op_types_to_quantize"],
        kw["extra_options"],
    )
    quantizer.quantize_model()
    quantizer.model.save_model_to_file(str(dst), False)
