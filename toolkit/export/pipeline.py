"""`export()`: model.keras -> FP32 ONNX (+ FP16, + INT8 s8/u8) -> TensorRT engines where available.

Every file is written through the store (toolkit.store): built from a snapshot of its input
under a temporary name, checked (onnx.checker, parity against Keras on the test set), and only
then renamed and recorded. A re-run skips files the store finds current with the same inputs
and options; anything else is rebuilt.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mnx.errors import MissingDependencyError, StaleArtifactError
from mnx.toolkit import store
from mnx.toolkit.artifacts import network_dir
from mnx.toolkit.export import parity as par
from mnx.toolkit.export.calibration import DEFAULT_SAMPLES, CalibrationMethod, check_samples
from mnx.toolkit.export.onnx import DEFAULT_OPSET, check_opset
from mnx.toolkit.export.precision import Int8Encoding
from mnx.toolkit.export.tensorrt.options import EngineOptions
from mnx.toolkit.keras_model import check_archive
from mnx.toolkit.store.build import Snapshot

MODEL_FILE = "model.keras"
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


class _Job:
    """One export run: the model snapshot it builds from, the test data, and the reports.
    `root_file` names the snapshot's file in the net directory (the FP32 file's input);
    export.keras_variants.KerasFileJob is the same run for a user's Keras file."""

    root_file = MODEL_FILE

    def __init__(
        self, name: str, net_dir: Path, data: Any, network: Any, model: Snapshot, tmp: Path
    ) -> None:
        self.name, self.net_dir, self.data, self.network = name, net_dir, data, network
        self.model_snap, self.tmp = model, tmp
        self.versions = _versions()
        self.reports: list[VariantReport] = []
        self._model: Any = None
        self._x_test: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            from mnx.toolkit.keras_model import load_keras

            self._model = load_keras(self.model_snap.path, self.name)
        return self._model

    def preprocess(self, x: Any) -> Any:
        from mnx.toolkit.data import preprocess

        return preprocess(x, self.network.recipe.preprocessing, self.network.layout)

    @property
    def x_test(self) -> Any:
        if self._x_test is None:
            self._x_test = self.preprocess(self.data.x_test)
        return self._x_test

    def write_fp32(self, out: Path, opset: int) -> None:
        from mnx.toolkit.export import onnx as onnx_mod

        onnx_mod.onnx_from_keras(self.model_snap.path, out, opset, model=self.model)

    def check(self, variant: str, path: Path, fp32_atol: float) -> tuple[dict[str, Any], list[str]]:
        """The parity record of the file at `path` (ExportError when out of tolerance), and
        warnings."""
        from mnx.toolkit.reference import keras_reference

        reference = keras_reference(
            self.net_dir, self.model_snap.sha256, self.x_test, self.data.sha256, lambda: self.model
        )
        outputs = par.onnx_outputs(path, self.x_test, exact_qdq=variant == Int8Encoding.S8.value)
        parity = par.compare(outputs, reference, self.data.y_test)
        return asdict(parity), par.enforce(variant, parity, fp32_atol)


def _versions() -> dict[str, str]:
    from mnx.toolkit.versions import versions

    keep = ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "onnxconverter_common", "mnx")
    return {k: v for k, v in versions().items() if k in keep}


def _report(variant: str, path: Path, record: Mapping[str, Any], status: str) -> VariantReport:
    extra = record.get("export", {})
    p = extra.get("parity") or {}
    return VariantReport(
        variant=variant,
        path=path,
        bytes=int(record.get("bytes") or path.stat().st_size),
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


def make_variant(
    job: _Job,
    variant: str,
    filename: str,
    inputs: Mapping[str, str],
    opts: Mapping[str, Any],
    write: Callable[[Path], None],
    say: Progress,
    fp32_atol: float = par.FP32_ATOL,
) -> str:
    """Build `filename` through the store unless it is current with these inputs and options:
    written under a temporary name by `write`, checked against Keras, then renamed and recorded.
    Returns the sha256 of the file now in place."""
    path = job.net_dir / filename
    verdict = store.verify(job.net_dir, filename, options=opts)
    if verdict.current and (verdict.record or {}).get("inputs") == dict(inputs):
        say(f"{variant}: current, skipped")
        job.reports.append(_report(variant, path, verdict.record or {}, "current"))
        return str(verdict.sha256)
    say(f"{variant}: exporting")
    with store.build(
        job.net_dir, filename, inputs=inputs, options=opts, versions=job.versions
    ) as build:
        start = time.perf_counter()
        write(build.path)
        seconds = time.perf_counter() - start
        say(f"{variant}: checking against Keras on {len(job.x_test)} test inputs")
        parity, warnings = job.check(variant, build.path, fp32_atol)
        build.extra["export"] = {
            "parity": parity,
            "params": int(job.model.count_params()),
            "export_seconds": round(seconds, 3),
            "warnings": warnings,
        }
        build.extra["data"] = _data_info(job.data)
    record = {"bytes": path.stat().st_size, **build.extra}
    job.reports.append(_report(variant, path, record, "exported"))
    return str(build.sha256)


def _data_info(data: Any) -> dict[str, Any]:
    return {"sha256": data.sha256, "source": data.source, "subset": bool(data.subset)}


def export(
    name: str,
    options: ExportOptions | None = None,
    root: Path | None = None,
    *,
    progress: Progress | None = None,
    fp32_atol: float = par.FP32_ATOL,
) -> ExportReport:
    """Export network `name` from `<root>/<name>/model.keras` to ONNX (and TensorRT engines).

    Raises MissingArtifactError when the network is not trained, StaleArtifactError when the
    store does not trust model.keras, CorruptArtifactError for an unreadable one, ExportError
    when conversion or a parity check fails, MissingDependencyError without ONNX Runtime.
    """
    from mnx import architectures
    from mnx.toolkit.data import load_mnist

    options = options or ExportOptions()
    say = progress or (lambda _msg: None)
    network = architectures.get(name)
    net_dir = network_dir(name, root)
    require_exporters()
    check_archive(net_dir / MODEL_FILE, name)
    model = store.require_current(net_dir, MODEL_FILE, name)
    data = load_mnist()
    with tempfile.TemporaryDirectory(prefix="mnx-export-") as tmp:
        snap = store.snapshot(net_dir / MODEL_FILE, Path(tmp))
        if snap.sha256 != model.sha256:
            raise StaleArtifactError(
                f"'{net_dir / MODEL_FILE}' changed while the export started",
                expected="no `mnx train` of the same network during an export",
                fix=f"re-run `mnx export {name}` when training has finished",
            )
        job = _Job(name, net_dir, data, network, snap, Path(tmp))
        calibration = onnx_variants(job, options, say, fp32_atol)
    engines, trt_note = _tensorrt(name, net_dir.parent, options, say)
    return ExportReport(
        name=name,
        variants=tuple(job.reports),
        calibration=calibration,
        engines=engines,
        trt_note=trt_note,
        data_source=f"{data.source}{' (subset)' if data.subset else ''}",
        warnings=tuple(w for r in job.reports for w in r.warnings),
    )


def onnx_variants(
    job: _Job, options: ExportOptions, say: Progress, fp32_atol: float = par.FP32_ATOL
) -> str | None:
    """FP32 from the model snapshot, then FP16/INT8 from a snapshot of that FP32 file; returns
    how INT8 calibration went ("computed", "reused" or None)."""
    from mnx.toolkit.export import int8, precision

    base = {"data_sha256": job.data.sha256}
    fp32_sha = make_variant(
        job,
        "fp32",
        FP32_FILE,
        {job.root_file: job.model_snap.sha256},
        {**base, "opset": options.opset},
        lambda out: job.write_fp32(out, options.opset),
        say,
        fp32_atol,
    )
    if not (options.fp16 or options.int8):
        return None
    (job.tmp / "fp32").mkdir()
    fp32 = store.snapshot(job.net_dir / FP32_FILE, job.tmp / "fp32")
    if fp32.sha256 != fp32_sha:
        raise StaleArtifactError(
            f"'{job.net_dir / FP32_FILE}' was replaced during this export",
            expected="one `mnx export` of a network at a time",
            fix=f"re-run `mnx export {job.name}` when the other export has finished",
        )
    if options.fp16:
        make_variant(
            job,
            "fp16",
            FP16_FILE,
            {FP32_FILE: fp32.sha256},
            base,
            lambda out: precision.fp16_from_onnx(fp32.path, out),
            say,
        )
    if options.int8:
        return int8.export_int8(job, options, fp32, base, say)
    return None


def require_exporters() -> None:
    """Every module export needs, before any work: a missing one is one message with the fix."""
    import importlib.util

    for module, pip in (("onnxruntime", "onnxruntime"), ("onnx", "onnx"), ("tf2onnx", "tf2onnx")):
        if importlib.util.find_spec(module) is None:
            raise MissingDependencyError(
                f"{module} is not installed; `mnx export` converts and checks every ONNX file "
                "with it",
                expected=f"the '{pip}' Python package",
                fix=f"pip install {pip} (or pip install mnx, which includes it)",
            )


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
