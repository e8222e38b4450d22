"""`export()`: model.keras -> FP32 ONNX (+ FP16, + INT8 s8/u8) -> TensorRT engines where available.

Every file is checked against Keras on the test set and recorded in the manifest with the sha256
of its source and the options it was made with; an unchanged re-run skips it as "current".
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mnx.errors import MissingArtifactError, MissingDependencyError
from mnx.toolkit.artifacts import artifact_record, is_current, network_dir, record_artifact
from mnx.toolkit.export import parity as par
from mnx.toolkit.export.calibration import (
    CACHE_FILE,
    DEFAULT_SAMPLES,
    CalibrationKey,
    CalibrationMethod,
    calibrate,
    check_samples,
    select_samples,
)
from mnx.toolkit.export.onnx import DEFAULT_OPSET, check_opset
from mnx.toolkit.export.precision import Int8Encoding
from mnx.toolkit.export.tensorrt.options import EngineOptions

FP32_FILE = "model.fp32.onnx"
FP16_FILE = "model.fp16.onnx"
TRT_MISSING = "TensorRT: not installed (pip install 'mnx[tensorrt]')"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExportOptions:
    """What to export. FP32 is always made; `trt=None` builds engines only where TensorRT runs."""

    fp16: bool = False
    int8: bool = False
    calibration_method: CalibrationMethod = CalibrationMethod.ENTROPY
    calibration_samples: int = DEFAULT_SAMPLES
    calibration_seed: int = 0
    opset: int = DEFAULT_OPSET
    trt: bool | None = None
    # TensorRT build settings beyond the precisions (route, batch profile, workspace, rebuild);
    # its `precisions` are replaced by the ones this export makes (see `engine_precisions`).
    engine: EngineOptions = field(default_factory=EngineOptions)

    def engine_precisions(self) -> tuple[str, ...]:
        """The engine precisions an export asks for: fp32 always, fp16/int8 with their flags."""
        return ("fp32",) + (("fp16",) if self.fp16 else ()) + (("int8",) if self.int8 else ())

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "calibration_method", CalibrationMethod.parse(self.calibration_method)
        )
        check_samples(self.calibration_samples)
        check_opset(self.opset)


@dataclass(frozen=True)
class VariantReport:
    """One exported file and how it compares with Keras (None = not measured)."""

    variant: str  # "fp32", "fp16", "int8" (symmetric, TensorRT), "int8.u8" (ORT CPU)
    path: Path
    bytes: int
    params: int | None
    images: int | None
    accuracy: float | None
    keras_accuracy: float | None
    agreement: float | None
    max_abs_diff: float | None
    export_seconds: float | None
    status: str  # "exported" or "current" (unchanged since its manifest record; skipped)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        d["warnings"] = list(self.warnings)
        return d


@dataclass(frozen=True)
class ExportReport:
    name: str
    variants: tuple[VariantReport, ...]
    calibration: str | None  # "computed", "reused" or None (no INT8 made this run)
    engines: tuple[Any, ...] = ()
    trt_note: str | None = None
    data_source: str = ""
    warnings: tuple[str, ...] = field(default=())

    def variant(self, name: str) -> VariantReport:
        return next(v for v in self.variants if v.variant == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "variants": [v.to_dict() for v in self.variants],
            "calibration": self.calibration,
            "engines": [str(e) for e in self.engines],
            "trt_note": self.trt_note,
            "data_source": self.data_source,
            "warnings": list(self.warnings),
        }


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence onnxruntime.quantization's prints and root-logger warnings (pre-processing hints)."""
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


class _Source:
    """The Keras model, test data and reference outputs, loaded only when something is exported."""

    def __init__(self, name: str, keras_path: Path, data: Any, network: Any) -> None:
        self.name, self.keras_path, self.data, self.network = name, keras_path, data, network
        self._model: Any = None
        self._x_test: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            from mnx.toolkit.export.onnx import load_keras_model

            self._model = load_keras_model(self.keras_path)
        return self._model

    def preprocess(self, x: Any) -> Any:
        from mnx.toolkit.data import preprocess

        return preprocess(x, self.network.recipe.preprocessing, self.network.layout)

    @property
    def x_test(self) -> Any:
        if self._x_test is None:
            self._x_test = self.preprocess(self.data.x_test)
        return self._x_test

    def reference(self) -> Any:
        from mnx.toolkit.artifacts import sha256_file

        key = (sha256_file(self.keras_path), self.data.sha256)
        return par.keras_reference(self.model, self.x_test, key)

    def check(self, variant: str, path: Path, fp32_atol: float) -> tuple[par.Parity, list[str]]:
        outputs = par.onnx_outputs(path, self.x_test, exact_qdq=variant == Int8Encoding.S8.value)
        parity = par.compare(outputs, self.reference(), self.data.y_test)
        return parity, par.enforce(variant, parity, fp32_atol)


def _versions() -> dict[str, str]:
    from mnx.toolkit.versions import versions

    keep = ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "onnxconverter_common", "mnx")
    return {k: v for k, v in versions().items() if k in keep}


def _report_from_record(variant: str, path: Path, status: str) -> VariantReport:
    rec = artifact_record(path.parent, path.name) or {}
    extra = rec.get("export", {})
    p = extra.get("parity") or {}
    return VariantReport(
        variant=variant,
        path=path,
        bytes=path.stat().st_size,
        params=extra.get("params"),
        images=p.get("images"),
        accuracy=p.get("accuracy"),
        keras_accuracy=p.get("keras_accuracy"),
        agreement=p.get("agreement"),
        max_abs_diff=p.get("max_abs_diff"),
        export_seconds=extra.get("export_seconds"),
        status=status,
        warnings=tuple(extra.get("warnings", ())),
    )


def export(
    name: str,
    options: ExportOptions | None = None,
    root: Path | None = None,
    *,
    progress: Progress | None = None,
    fp32_atol: float = par.FP32_ATOL,
) -> ExportReport:
    """Export network `name` from `<root>/<name>/model.keras` to ONNX (and TensorRT engines).

    Raises MissingArtifactError when the network is not trained, CorruptArtifactError for an
    unreadable model.keras, ExportError when conversion or a parity check fails.
    """
    from mnx import architectures
    from mnx.toolkit.data import load_mnist

    options = options or ExportOptions()
    say = progress or (lambda _msg: None)
    network = architectures.get(name)
    net_dir = network_dir(name, root)
    keras_path = net_dir / "model.keras"
    if not keras_path.is_file():
        raise MissingArtifactError(
            f"'{name}' has no trained model at '{keras_path}'",
            expected="model.keras written by `mnx train`",
            fix=f"run `mnx train {name}` first",
        )
    data = load_mnist()
    src = _Source(name, keras_path, data, network)
    versions = _versions()
    reports: list[VariantReport] = []

    def make(
        variant: str, path: Path, source: Path, opts: dict[str, Any], build: Callable[[], None]
    ) -> None:
        if is_current(net_dir, path.name, source=source, options=opts):
            say(f"{variant}: current, skipped")
            reports.append(_report_from_record(variant, path, "current"))
            return
        say(f"{variant}: exporting")
        start = time.perf_counter()
        build()
        seconds = time.perf_counter() - start
        say(f"{variant}: checking against Keras on {len(data.y_test)} test images")
        parity, warnings = src.check(variant, path, fp32_atol)
        record_artifact(
            net_dir,
            path.name,
            source=source,
            options=opts,
            versions=versions,
            extra={
                "export": {
                    "parity": asdict(parity),
                    "params": int(src.model.count_params()),
                    "export_seconds": round(seconds, 3),
                    "warnings": warnings,
                }
            },
        )
        reports.append(_report_from_record(variant, path, "exported"))

    from mnx.toolkit.export import onnx as onnx_mod
    from mnx.toolkit.export import precision

    fp32 = net_dir / FP32_FILE
    base = {"data_sha256": data.sha256}
    make(
        "fp32",
        fp32,
        keras_path,
        {**base, "opset": options.opset},
        lambda: onnx_mod.onnx_from_keras(keras_path, fp32, options.opset, model=src.model),
    )
    if options.fp16:
        fp16 = net_dir / FP16_FILE
        make("fp16", fp16, fp32, base, lambda: precision.fp16_from_onnx(fp32, fp16))

    calibration: str | None = None
    if options.int8:
        with tempfile.TemporaryDirectory(prefix="mnx-int8-") as tmp:
            calibration = _export_int8(
                options, src, net_dir, fp32, Path(tmp), base, make, say, versions
            )

    engines, trt_note = _tensorrt(name, net_dir.parent, options, say)
    return ExportReport(
        name=name,
        variants=tuple(reports),
        calibration=calibration,
        engines=engines,
        trt_note=trt_note,
        data_source=f"{data.source}{' (subset)' if data.subset else ''}",
        warnings=tuple(w for r in reports for w in r.warnings),
    )


def _export_int8(
    options: ExportOptions,
    src: _Source,
    net_dir: Path,
    fp32: Path,
    tmp: Path,
    base: dict[str, Any],
    make: Callable[..., None],
    say: Progress,
    versions: dict[str, str],
) -> str | None:
    """Both INT8 encodings from one calibration; returns "computed", "reused" or None (current)."""
    import onnxruntime

    from mnx.toolkit.export import precision

    method = options.calibration_method
    key = CalibrationKey(
        fp32_sha256=_sha(fp32),
        method=method.value,
        samples=options.calibration_samples,
        seed=options.calibration_seed,
        data_sha256=src.data.sha256,
        onnxruntime=onnxruntime.__version__,
    )
    int8_opts = {**base, **{k: v for k, v in asdict(key).items() if k != "fp32_sha256"}}
    state: dict[str, Any] = {}

    def prepared() -> Path:
        if "prepared" not in state:
            with _quiet():
                state["prepared"] = precision.prepare_for_int8(fp32, tmp / "prepared.onnx")
        return state["prepared"]

    def ranges() -> Any:
        if "ranges" not in state:
            say(f"calibrating ({method.value}, {options.calibration_samples} training images)")
            x_cal = src.preprocess(
                select_samples(
                    src.data.x_train, options.calibration_samples, options.calibration_seed
                )
            )
            with _quiet():
                r, reused = calibrate(prepared(), x_cal, method, key, net_dir / CACHE_FILE)
            state["calibration"] = "reused" if reused else "computed"
            if not reused:
                record_artifact(
                    net_dir, CACHE_FILE, source=fp32, options=int8_opts, versions=versions
                )
            state["ranges"] = r
        return state["ranges"]

    for enc in Int8Encoding:
        path = net_dir / enc.filename

        def build(enc: Int8Encoding = enc, path: Path = path) -> None:
            r = ranges()
            with _quiet():
                precision.int8_from_onnx(prepared(), path, r, method, enc)

        make(enc.value, path, fp32, {**int8_opts, **enc.settings()}, build)
    return state.get("calibration")


def _sha(path: Path) -> str:
    from mnx.toolkit.artifacts import sha256_file

    return sha256_file(path)


def _tensorrt(
    name: str, root: Path, options: ExportOptions, say: Progress
) -> tuple[tuple[Any, ...], str | None]:
    """Engines after the ONNX variants: forced (--trt), off (--no-trt) or auto (default)."""
    if options.trt is False:
        return (), "TensorRT: skipped (--no-trt)"
    from mnx.toolkit.gpu import tensorrt_status

    status = tensorrt_status()  # never raises; a test double in sys.modules counts as installed
    if not status.installed:
        if options.trt:
            raise MissingDependencyError(
                "--trt was given but TensorRT is not installed",
                expected="the TensorRT Python bindings and an NVIDIA GPU",
                fix="pip install 'mnx[tensorrt]' on a machine with an NVIDIA GPU, or drop --trt",
            )
        return (), TRT_MISSING
    try:
        from mnx.toolkit.export.tensorrt import build_engines
    except ImportError as exc:
        if options.trt:
            raise MissingDependencyError(
                f"mnx's TensorRT exporter cannot be imported ({exc})",
                expected="mnx.toolkit.export.tensorrt",
                fix="reinstall mnx",
            ) from exc
        return (), f"TensorRT: exporter unavailable ({exc})"
    say("TensorRT: building engines")
    try:
        engine = replace(options.engine, precisions=options.engine_precisions())
        return tuple(build_engines(name, root, engine)), None
    except MissingDependencyError as exc:
        if options.trt:
            raise
        return (), f"TensorRT: {exc.what}"
