"""Parity of an exported ONNX model against its Keras source on the test set.

Tolerances (softmax probabilities, absolute):
- FP32: 1e-4. Same math in another runtime; measured ~1e-7..1e-6. Beyond it is an export bug.
- FP16: 1e-2 and top-1 agreement >= 99.5%. FP16 keeps ~3 significant digits: a logit z carries an
  error near |z| * 2^-11 (~0.01 for z ~ 20 after several layers), and a softmax output moves at
  most a quarter of a logit error, so honest FP16 stays well inside 1e-2; a broken conversion
  (overflow, wrong cast) is far outside it. Agreement guards against many small flips.
- INT8: no |diff| bound (8-bit activations move probabilities by design); agreement and the
  accuracy delta are reported, and a drop beyond INT8_WARN_DROP_PP is flagged. Calibrated PTQ
  on MNIST loses <= ~0.1 pp; 0.5 pp is far outside that and means calibration went wrong,
  while staying clear of noise on the 1,000-image test subset (1 image = 0.1 pp).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnx.errors import ExportError
from mnx.toolkit.runners.base import INPUT_NAME, OUTPUT_NAME

FP32_ATOL = 1e-4
FP16_ATOL = 1e-2
FP16_MIN_AGREEMENT = 0.995
INT8_WARN_DROP_PP = 0.5
BATCH = 500


@dataclass(frozen=True)
class Parity:
    """One variant against the Keras reference on `images` test images."""

    images: int
    accuracy: float  # fraction of test labels matched by this variant's top-1
    keras_accuracy: float
    agreement: float  # fraction of images whose top-1 equals Keras's top-1
    max_abs_diff: float  # over all softmax outputs

    @property
    def accuracy_delta_pp(self) -> float:
        return (self.accuracy - self.keras_accuracy) * 100.0


def onnx_outputs(path: Path, x: np.ndarray, *, exact_qdq: bool = False) -> np.ndarray:
    """Softmax outputs of an ONNX model on `x`, with ONNX Runtime on CPU.

    `exact_qdq` turns graph optimizations off, so Q/DQ nodes run as written (dequantize, float
    op, quantize) instead of ORT's fused integer kernels. The symmetric s8 model needs it: on x86
    CPUs without VNNI, ORT's s8s8 kernels go through 16-bit pair sums that saturate (measured on
    m31_k3 here: top-1 agreement 78% fused vs 96% exact), while TensorRT, the model's target,
    accumulates in int32. The exact run is what the file means, not what this CPU does to it.
    """
    from mnx.errors import CorruptArtifactError
    from mnx.toolkit.runners.ort import make_session

    try:
        session = make_session(path, optimize=not exact_qdq)
    except CorruptArtifactError as exc:
        raise ExportError(
            f"ONNX Runtime cannot load '{path.name}' ({exc.what})",
            expected="a model ONNX Runtime can run",
            fix="re-run with --debug and report the output",
        ) from exc
    outs = [
        session.run([OUTPUT_NAME], {INPUT_NAME: x[i : i + BATCH]})[0]
        for i in range(0, len(x), BATCH)
    ]
    return np.concatenate(outs).astype(np.float32)


def compare(outputs: np.ndarray, reference: np.ndarray, labels: np.ndarray) -> Parity:
    top, ref_top = outputs.argmax(1), reference.argmax(1)
    return Parity(
        images=len(labels),
        accuracy=float((top == labels).mean()),
        keras_accuracy=float((ref_top == labels).mean()),
        agreement=float((top == ref_top).mean()),
        max_abs_diff=float(np.abs(outputs - reference).max()),
    )


def enforce(variant: str, parity: Parity, fp32_atol: float = FP32_ATOL) -> list[str]:
    """ExportError when FP32/FP16 parity is out of tolerance; returns warnings (INT8)."""
    if variant == "fp32" and not parity.max_abs_diff <= fp32_atol:
        raise ExportError(
            f"FP32 ONNX differs from Keras by up to {parity.max_abs_diff:.3g} on the softmax "
            f"outputs of {parity.images} test images",
            expected=f"max |diff| <= {fp32_atol:g}",
            fix="re-run with --debug; if the Keras model uses a layer tf2onnx converts "
            "approximately, try another --opset",
        )
    if variant == "fp16" and not (
        parity.max_abs_diff <= FP16_ATOL and parity.agreement >= FP16_MIN_AGREEMENT
    ):
        raise ExportError(
            f"FP16 ONNX differs from Keras by up to {parity.max_abs_diff:.3g} with top-1 "
            f"agreement {parity.agreement:.2%} on {parity.images} test images",
            expected=f"max |diff| <= {FP16_ATOL:g} and agreement >= {FP16_MIN_AGREEMENT:.1%}",
            fix="this network overflows or loses too much in FP16; export it without --fp16",
        )
    warnings = []
    if variant.startswith("int8") and -parity.accuracy_delta_pp > INT8_WARN_DROP_PP:
        warnings.append(
            f"{variant}: accuracy drops {-parity.accuracy_delta_pp:.2f} pp vs Keras "
            f"(> {INT8_WARN_DROP_PP} pp); try --calibration-method minmax or more samples"
        )
    return warnings
