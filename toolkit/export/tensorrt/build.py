"""`build_engines`: every engine of one network, each built (or reused when current) on its own,
so one failing precision is reported with TensorRT's error text and the others still get built."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mnx.errors import ExportError, MissingArtifactError
from mnx.toolkit.artifacts import (
    artifacts_root,
    network_dir,
    record_artifact,
    sha256_file,
    write_bytes_atomic,
)
from mnx.toolkit.export.tensorrt.calibrator import calibration_images
from mnx.toolkit.export.tensorrt.loaders import engine_from_onnx
from mnx.toolkit.export.tensorrt.options import EngineOptions, Route
from mnx.toolkit.export.tensorrt.records import (
    EngineRecord,
    default_timing_cache,
    engine_dir,
    engine_filename,
    engine_staleness,
    failure_note,
    source_onnx,
)
from mnx.toolkit.export.tensorrt.routes import check_route
from mnx.toolkit.gpu import GpuInfo, load_tensorrt, require_gpu


@dataclass(frozen=True)
class _Target:
    """Where one network's engines go on this GPU and TensorRT."""

    name: str
    net_dir: Path
    out_dir: Path
    gpu: GpuInfo
    version: str
    timing_cache: Path | None


def build_engines(
    name: str, root: Path | None = None, options: EngineOptions | None = None
) -> list[EngineRecord]:
    """Build (or reuse, when current) one engine per precision in `options` for network `name`.

    Raises MissingDependencyError without TensorRT or a GPU, MissingArtifactError when an ONNX
    model is missing (run `mnx export` first), UsageError for a route this TensorRT lacks; all
    before building anything. A build TensorRT fails gives a record with `error` set (and an
    `<engine>.error.txt` beside where the engine would be); the other precisions go on.
    """
    options = options or EngineOptions()
    root = root or artifacts_root()
    net_dir = network_dir(name, root)
    trt = load_tensorrt()
    for precision in options.precisions:  # fail before building anything
        check_route(trt, precision, options.route)
        onnx = source_onnx(net_dir, precision, options.route)
        if not onnx.exists():
            raise MissingArtifactError(
                f"'{onnx}' does not exist, so no {precision} engine can be built for '{name}'",
                expected=f"{onnx.name} from `mnx export`",
                fix=f"mnx export {name} --{precision}",
            )
    gpu = require_gpu()
    version = str(trt.__version__)
    cache = None
    if options.use_timing_cache:
        cache = options.timing_cache or default_timing_cache(root, gpu, version)
    target = _Target(name, net_dir, engine_dir(net_dir, gpu, version), gpu, version, cache)
    return [_one(target, precision, options) for precision in options.precisions]


def _one(t: _Target, precision: str, options: EngineOptions) -> EngineRecord:
    onnx = source_onnx(t.net_dir, precision, options.route)
    engine_path = t.out_dir / engine_filename(precision, options.route)
    build_opts = options.build_options(precision)
    reason = engine_staleness(engine_path, t.gpu, t.version, build_opts)
    if reason is None and not options.rebuild:
        return _record(t, engine_path, onnx, options, precision, None)
    calibration = calib_cache = None
    if options.route is Route.BUILDER_FLAGS and precision == "int8":
        calibration = calibration_images(t.name, options.calibration_images)
        calib_cache = (
            t.out_dir / f"calibration.{options.calibrator.value}.{sha256_file(onnx)[:12]}.cache"
        )
    note = failure_note(engine_path)
    try:
        seconds = engine_from_onnx(
            onnx,
            engine_path,
            precision,
            options,
            calibration=calibration,
            calibration_cache=calib_cache,
            timing_cache=t.timing_cache,
        )
    except ExportError as exc:
        engine_path.unlink(missing_ok=True)  # never leave an engine that contradicts the note
        write_bytes_atomic(note, exc.what.encode() + b"\n")
        return _record(t, engine_path, onnx, options, precision, None, error=exc.what)
    note.unlink(missing_ok=True)
    record_artifact(
        t.net_dir,
        engine_path.relative_to(t.net_dir).as_posix(),
        source=onnx,
        options=build_opts,
        versions={"tensorrt": t.version},
        extra={
            "tensorrt": {
                "gpu_name": t.gpu.name,
                "compute_capability": t.gpu.compute_capability,
                "gpu_slug": t.gpu.slug,
                "tensorrt_version": t.version,
                "build_s": round(seconds, 3),
            }
        },
    )
    was = (
        None
        if reason and reason.startswith(("it does not exist", "its last build"))
        else (reason or "--rebuild")
    )
    return _record(t, engine_path, onnx, options, precision, seconds, why=was)


def _record(
    t: _Target,
    engine_path: Path,
    onnx: Path,
    options: EngineOptions,
    precision: str,
    seconds: float | None,
    *,
    why: str | None = None,
    error: str | None = None,
) -> EngineRecord:
    built = error is None
    return EngineRecord(
        network=t.name,
        precision=precision,
        route=options.route.value,
        engine_path=engine_path,
        onnx_path=onnx,
        onnx_sha256=sha256_file(onnx),
        gpu_name=t.gpu.name,
        compute_capability=t.gpu.compute_capability,
        tensorrt_version=t.version,
        min_batch=options.min_batch,
        opt_batch=options.opt_batch,
        max_batch=options.max_batch,
        engine_bytes=engine_path.stat().st_size if built else None,
        build_s=seconds,
        reused=built and seconds is None,
        timing_cache_path=t.timing_cache if seconds is not None else None,
        rebuilt_because=why,
        error=error,
    )
