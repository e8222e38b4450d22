"""The variants of a Keras-file export (toolkit.export.keras_file): convert, then build each file
under a temporary name, check it against Keras, and only then rename it into place and record it."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mnx.errors import ExportError
from mnx.toolkit.export import parity as par
from mnx.toolkit.export.pipeline import ExportOptions, VariantReport

if TYPE_CHECKING:
    from mnx.toolkit.export.keras_file import _Data, _Spec

Progress = Callable[[str], None]


def to_onnx(model: Any, spec: _Spec, out: Path, opset: int) -> None:
    """tf2onnx through a tf.function (Keras 3: onnx/tensorflow-onnx#2448), named input/output."""
    import tensorflow as tf
    import tf2onnx

    from mnx.toolkit.export.onnx import _name_io, check_and_save
    from mnx.toolkit.runners.base import INPUT_NAME

    sig = tf.TensorSpec((None, *spec.per_sample), tf.as_dtype(spec.dtype), name=INPUT_NAME)

    @tf.function(input_signature=[sig])
    def forward(x: Any) -> Any:
        return model(x, training=False)

    try:
        proto, _ = tf2onnx.convert.from_function(forward, input_signature=[sig], opset=opset)
    except Exception as exc:
        raise ExportError(
            f"tf2onnx could not convert the model at opset {opset} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160] if str(exc) else 'no detail'})",
            expected="a model made of layers tf2onnx can convert",
            fix="try another --opset, or replace the unsupported layer",
        ) from exc
    _name_io(proto)
    check_and_save(proto, out, "ONNX model converted from the Keras file")


class Ctx:
    """State shared by the variants of one export: build, check, then rename and record."""

    def __init__(
        self,
        name: str,
        net_dir: Path,
        source: Path,
        model: Any,
        data: _Data,
        options: ExportOptions,
        versions: dict[str, str],
        say: Progress,
    ) -> None:
        self.name, self.net_dir, self.source, self.model = name, net_dir, source, model
        self.data, self.options, self.versions, self.say = data, options, versions, say
        self.reference: np.ndarray = np.empty(0)
        self.reports: list[VariantReport] = []

    def make(
        self,
        variant: str,
        path: Path,
        source: Path,
        opts: dict[str, Any],
        build: Callable[[Path], Any],
    ) -> None:
        from mnx.toolkit.artifacts import is_current, record_artifact
        from mnx.toolkit.export.pipeline import _report_from_record

        if is_current(self.net_dir, path.name, source=source, options=opts):
            self.say(f"{variant}: current, skipped")
            self.reports.append(_report_from_record(variant, path, "current"))
            return
        self.say(f"{variant}: exporting")
        staged = path.with_name(f".{path.name}.building")
        start = time.perf_counter()
        build(staged)
        seconds = time.perf_counter() - start
        self.say(f"{variant}: checking against Keras on {len(self.data.x_test)} inputs")
        try:
            parity, warnings = self._check(variant, staged)
        except BaseException:
            staged.unlink(missing_ok=True)  # a file that failed its check never gets its name
            raise
        os.replace(staged, path)
        record_artifact(
            self.net_dir,
            path.name,
            source=source,
            options=opts,
            versions=self.versions,
            extra={
                "export": {
                    "parity": parity,
                    "params": int(self.model.count_params()),
                    "export_seconds": round(seconds, 3),
                    "warnings": warnings,
                }
            },
        )
        self.reports.append(_report_from_record(variant, path, "exported"))

    def _check(self, variant: str, path: Path) -> tuple[dict[str, Any], list[str]]:
        from mnx.toolkit.export.precision import Int8Encoding

        outputs = par.onnx_outputs(
            path, self.data.x_test, exact_qdq=variant == Int8Encoding.S8.value
        )
        ref = self.reference.astype(np.float32)
        scale = max(1.0, float(np.abs(ref).max()))
        labels = self.data.y_test
        classify = ref.ndim == 2
        p = par.Parity(
            images=len(ref),
            accuracy=float((outputs.argmax(1) == labels).mean())
            if classify and labels is not None
            else 0.0,
            keras_accuracy=float((ref.argmax(1) == labels).mean())
            if classify and labels is not None
            else 0.0,
            agreement=float((outputs.argmax(1) == ref.argmax(1)).mean()) if classify else 1.0,
            max_abs_diff=float(np.abs(outputs - ref).max()) / scale,
        )
        warnings = par.enforce(variant, p, par.FP32_ATOL)
        record = {
            "images": p.images,
            "accuracy": p.accuracy if classify and labels is not None else None,
            "keras_accuracy": p.keras_accuracy if classify and labels is not None else None,
            "agreement": p.agreement if classify else None,
            "max_abs_diff": float(np.abs(outputs - ref).max()),
            "tolerance_scale": scale,
        }
        return record, warnings


def int8_variants(ctx: Ctx, fp32: Path, base: dict[str, Any]) -> str | None:
    """Both INT8 encodings from one calibration on the chosen data (cached by its key)."""
    import onnxruntime

    from mnx.toolkit.artifacts import sha256_file
    from mnx.toolkit.export import precision
    from mnx.toolkit.export.calibration import CACHE_FILE, CalibrationKey, calibrate
    from mnx.toolkit.export.pipeline import _quiet
    from mnx.toolkit.export.precision import Int8Encoding

    x_calib = ctx.data.x_calib
    assert x_calib is not None  # _data made it: --int8 was given
    opts = ctx.options
    key = CalibrationKey(
        fp32_sha256=sha256_file(fp32),
        method=opts.calibration_method.value,
        samples=len(x_calib),
        seed=opts.calibration_seed,
        data_sha256=ctx.data.sha256,
        onnxruntime=onnxruntime.__version__,
    )
    int8_opts = {**base, "method": key.method, "samples": key.samples, "seed": key.seed}
    state: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mnx-int8-") as tmp:
        with _quiet():
            prepared = precision.prepare_for_int8(fp32, Path(tmp) / "prepared.onnx")

        def ranges() -> Any:
            if "r" not in state:
                ctx.say(f"calibrating ({key.method}, {key.samples} samples)")
                with _quiet():
                    state["r"], reused = calibrate(
                        prepared,
                        x_calib,
                        opts.calibration_method,
                        key,
                        ctx.net_dir / CACHE_FILE,
                    )
                state["how"] = "reused" if reused else "computed"
            return state["r"]

        for enc in Int8Encoding:

            def build(out: Path, enc: Int8Encoding = enc) -> None:
                r = ranges()
                with _quiet():
                    precision.int8_from_onnx(prepared, out, r, opts.calibration_method, enc)

            ctx.make(
                enc.value, ctx.net_dir / enc.filename, fp32, {**int8_opts, **enc.settings()}, build
            )
    return state.get("how")


def has_export_record(net_dir: Path, filename: str) -> bool:
    """Whether `mnx export` recorded `filename` in `net_dir` (after its parity check): the one
    manifest query outside this module's Ctx.make (bench.external asks it)."""
    from mnx.toolkit.artifacts import artifact_record

    return artifact_record(net_dir, filename) is not None
