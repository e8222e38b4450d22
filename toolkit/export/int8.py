"""Both INT8 encodings (symmetric s8 for TensorRT, u8 activations for ORT CPU) from one
calibration, through the store. Calibration runs only when an encoding must be rebuilt and no
trusted calibration.json with the same key exists."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from mnx.toolkit import store
from mnx.toolkit.export.calibration import CACHE_FILE, CalibrationKey, select_samples
from mnx.toolkit.export.precision import Int8Encoding

if TYPE_CHECKING:
    from mnx.toolkit.export.pipeline import ExportOptions, Progress, _Job
    from mnx.toolkit.store.build import Snapshot


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence onnxruntime.quantization's prints and root-logger warnings (pre-processing hints)."""
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


class _Calibration:
    """The prepared model and the ranges, made on first use and kept for both encodings."""

    def __init__(
        self, job: _Job, options: ExportOptions, fp32: Snapshot, key: CalibrationKey, opts: Any
    ) -> None:
        self.job, self.options, self.fp32, self.key, self.opts = job, options, fp32, key, opts
        self.status: str | None = None  # "computed" or "reused" once ranges were needed
        self._prepared: Any = None
        self._ranges: Any = None

    def prepared(self) -> Any:
        from mnx.toolkit.export import precision

        if self._prepared is None:
            with quiet():
                self._prepared = precision.prepare_for_int8(
                    self.fp32.path, self.job.tmp / "prepared.onnx"
                )
        return self._prepared

    def ranges(self, say: Progress) -> Any:
        if self._ranges is None:
            self._ranges = self._cached() or self._compute(say)
        return self._ranges

    def _cached(self) -> Any:
        from mnx.toolkit.export.calibration import load_cached

        net_dir = self.job.net_dir
        verdict = store.verify(net_dir, CACHE_FILE, options=self.opts)
        inputs = (verdict.record or {}).get("inputs")
        if not verdict.current or inputs != {self.fp32.name: self.fp32.sha256}:
            return None
        ranges = load_cached(net_dir / CACHE_FILE, self.key)
        self.status = "reused" if ranges is not None else None
        return ranges

    def _compute(self, say: Progress) -> Any:
        from mnx.toolkit.export.calibration import compute_ranges, write_cache

        method, n = self.options.calibration_method, self.options.calibration_samples
        say(f"calibrating ({method.value}, {n} training images)")
        x_cal = self.job.preprocess(
            select_samples(self.job.data.x_train, n, self.options.calibration_seed)
        )
        with quiet():
            ranges = compute_ranges(self.prepared(), x_cal, method)
        inputs = {self.fp32.name: self.fp32.sha256}
        with store.build(self.job.net_dir, CACHE_FILE, inputs=inputs, options=self.opts) as b:
            write_cache(b.path, self.key, ranges)
        self.status = "computed"
        return ranges


def export_int8(
    job: _Job, options: ExportOptions, fp32: Snapshot, base: dict[str, Any], say: Progress
) -> str | None:
    """Both encodings; returns "computed", "reused" or None (both were current)."""
    from mnx.toolkit.export import precision
    from mnx.toolkit.export.pipeline import make_variant

    key = _key_of(job, options, fp32)
    int8_opts = {**base, **{k: v for k, v in asdict(key).items() if k != "fp32_sha256"}}
    cal = _Calibration(job, options, fp32, key, int8_opts)
    method = options.calibration_method
    for enc in Int8Encoding:

        def write(out: Any, enc: Int8Encoding = enc) -> None:
            ranges = cal.ranges(say)
            with quiet():
                precision.int8_from_onnx(cal.prepared(), out, ranges, method, enc)

        opts = {**int8_opts, **enc.settings()}
        make_variant(job, enc.value, enc.filename, {fp32.name: fp32.sha256}, opts, write, say)
    return cal.status


def _key_of(job: _Job, options: ExportOptions, fp32: Snapshot) -> CalibrationKey:
    import onnxruntime

    return CalibrationKey(
        fp32_sha256=fp32.sha256,
        method=options.calibration_method.value,
        samples=options.calibration_samples,
        seed=options.calibration_seed,
        data_sha256=job.data.sha256,
        onnxruntime=onnxruntime.__version__,
    )
