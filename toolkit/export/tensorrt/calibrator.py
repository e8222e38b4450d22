"""The legacy INT8 calibrator of the builder-flags route (TensorRT 10 only) and its images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mnx.toolkit.artifacts import write_bytes_atomic


def make_calibrator(
    trt: Any, images: np.ndarray, batch: int, cache_path: Path | None, algorithm: str
) -> Any:
    """An IInt8EntropyCalibrator2 / IInt8MinMaxCalibrator that feeds `images` in batches of
    `batch` from one device buffer and keeps its scales in `cache_path`."""
    from mnx.toolkit.runners import cuda

    base = trt.IInt8EntropyCalibrator2 if algorithm == "entropy" else trt.IInt8MinMaxCalibrator
    images = np.ascontiguousarray(images[: len(images) // batch * batch], dtype=np.float32)

    class Calibrator(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            base.__init__(self)  # pybind11 trampolines need the base initialised explicitly
            self.index = 0
            self.buffer: cuda.DeviceBuffer | None = cuda.DeviceBuffer(images[:batch].nbytes)

        def get_batch_size(self) -> int:
            return batch

        def get_batch(self, names: list[str]) -> list[int] | None:
            if self.buffer is None or self.index + batch > len(images):
                return None  # tells TensorRT calibration data is exhausted
            cuda.memcpy_htod(self.buffer, images[self.index : self.index + batch])
            self.index += batch
            return [self.buffer.ptr]

        def read_calibration_cache(self) -> bytes | None:
            # a cache made from the same ONNX bytes (its name holds their sha256) skips calibration
            if cache_path is not None and cache_path.exists():
                return cache_path.read_bytes()
            return None

        def write_calibration_cache(self, cache: Any) -> None:
            if cache_path is not None:
                write_bytes_atomic(cache_path, bytes(memoryview(cache)))

        def free(self) -> None:
            if self.buffer is not None:
                self.buffer.free()
                self.buffer = None

    return Calibrator()


def calibration_images(name: str, count: int) -> np.ndarray:
    """The first `count` training images, preprocessed the way network `name` was trained."""
    from mnx import architectures
    from mnx.toolkit.data import load_mnist, preprocess

    net = architectures.get(name)
    data = load_mnist()
    return preprocess(data.x_train[:count], net.recipe.preprocessing, net.layout)
