"""INT8 calibration: compute activation ranges once, cache them in `calibration.json`.

One calibration serves both INT8 encodings (symmetric int8 for TensorRT, uint8 activations for
ONNX Runtime CPU): the ranges are per tensor and the encoding is chosen later, at quantization.
The cache is keyed by everything the ranges depend on (the FP32 ONNX bytes, method, sample
count, seed, and the training data); any key mismatch recomputes, never reuses.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import UnknownNameError, UsageError
from mnx.toolkit.artifacts import read_json
from mnx.toolkit.runners.base import INPUT_NAME

CACHE_FILE = "calibration.json"
CACHE_FORMAT = 1
DEFAULT_SAMPLES = 1000
MAX_SAMPLES = 60_000  # the MNIST training set
CHUNK = 100  # images per calibration inference; bounds the memory the calibrator holds


class CalibrationMethod(str, Enum):
    ENTROPY = "entropy"
    MINMAX = "minmax"
    PERCENTILE = "percentile"

    @classmethod
    def parse(cls, name: str | CalibrationMethod) -> CalibrationMethod:
        try:
            return cls(name)
        except ValueError:
            raise UnknownNameError(
                "calibration method",
                str(name),
                [m.value for m in cls],
                hint="pass --calibration-method entropy, minmax or percentile",
            ) from None

    def ort(self) -> Any:
        from onnxruntime.quantization import CalibrationMethod as OrtMethod

        return {
            "entropy": OrtMethod.Entropy,
            "minmax": OrtMethod.MinMax,
            "percentile": OrtMethod.Percentile,
        }[self.value]


def check_samples(samples: int) -> int:
    if not 1 <= samples <= MAX_SAMPLES:
        raise UsageError(
            f"--calibration-samples {samples} is out of range",
            expected=f"1 to {MAX_SAMPLES} training images (default {DEFAULT_SAMPLES})",
            fix=f"pass e.g. --calibration-samples {DEFAULT_SAMPLES}",
        )
    return samples


@dataclass(frozen=True)
class CalibrationKey:
    """What a set of ranges was computed from; equal keys mean reusable ranges."""

    fp32_sha256: str
    method: str
    samples: int
    seed: int
    data_sha256: str
    onnxruntime: str  # its pre-processing names the calibrated tensors
    format: int = CACHE_FORMAT


def select_samples(x_train: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """`samples` training images, chosen without replacement by `seed` (never test images)."""
    check_samples(samples)
    if samples > len(x_train):
        raise UsageError(
            f"--calibration-samples {samples} exceeds the {len(x_train)} training images loaded",
            expected=f"at most {len(x_train)}",
            fix=f"pass --calibration-samples {len(x_train)} or fewer",
        )
    idx = np.random.default_rng(seed).choice(len(x_train), size=samples, replace=False)
    return x_train[np.sort(idx)]


class _ChunkReader:
    """CalibrationDataReader over preprocessed float32 images, CHUNK images per batch."""

    def __init__(self, x: np.ndarray) -> None:
        self._chunks = [x[i : i + CHUNK] for i in range(0, len(x), CHUNK)]

    def get_next(self) -> dict[str, np.ndarray] | None:
        return {INPUT_NAME: self._chunks.pop(0)} if self._chunks else None


def quantized_op_types() -> list[str]:
    """The op types quantize_static would quantize, minus Softmax.

    The final Softmax stays float: quantized to 8 bits its (N, 10) probabilities get 1/255 steps,
    so close classes tie and top-1 flips for no real reason; it costs nothing to keep it float.
    """
    from onnxruntime.quantization.registry import QDQRegistry, QLinearOpsRegistry

    return sorted((set(QLinearOpsRegistry) | set(QDQRegistry)) - {"Softmax"})


# Counts real calibration runs (not cache hits); tests read it to prove reuse.
compute_count = 0


def compute_ranges(fp32_path: Path, x_calib: np.ndarray, method: CalibrationMethod) -> Any:
    """Run ONNX Runtime's calibrator over `x_calib`; returns its `TensorsData` ranges.

    Uses the operator set and calibrator settings `quantize_static` would use, so the ranges are
    the ones it would have computed itself.
    """
    global compute_count
    from onnxruntime.quantization.calibrate import create_calibrator

    op_types = quantized_op_types()
    with tempfile.TemporaryDirectory(prefix="mnx-calib-") as tmp:
        calibrator = create_calibrator(
            fp32_path,
            op_types,
            augmented_model_path=str(Path(tmp) / "augmented.onnx"),
            calibrate_method=method.ort(),
        )
        # One collect_data per chunk: the calibrators fold each call into their ranges or
        # histograms and drop the raw activations, so memory stays bounded for the large CNNs.
        for start in range(0, len(x_calib), CHUNK):
            calibrator.collect_data(_ChunkReader(x_calib[start : start + CHUNK]))
        ranges = calibrator.compute_data()
        del calibrator
    compute_count += 1
    return ranges


def _ranges_to_json(ranges: Any) -> Any:
    from onnxruntime.quantization.calibrate import CalibrationCacheEncoder

    return json.loads(json.dumps(ranges.to_dict(), cls=CalibrationCacheEncoder))


def _ranges_from_json(obj: Any) -> Any:
    from onnxruntime.quantization.calibrate import TensorsData

    return TensorsData.from_dict(obj)


def load_cached(cache_path: Path, key: CalibrationKey) -> Any | None:
    """The cached ranges when `cache_path` holds ones made with exactly `key`, else None."""
    if not cache_path.exists():
        return None
    try:
        data = read_json(cache_path)
        if data.get("key") != asdict(key):
            return None
        return _ranges_from_json(data["ranges"])
    except Exception:  # an unreadable or foreign cache is recomputed, never trusted
        return None


def write_cache(path: Path, key: CalibrationKey, ranges: Any) -> None:
    """Write `ranges` and the key they were computed with to `path` (a store build's temp file)."""
    payload = {
        "key": asdict(key),
        "tensors": len(list(ranges.keys())),
        "ranges": _ranges_to_json(ranges),
    }
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
