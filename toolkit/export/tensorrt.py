"""TensorRT engines from the exported ONNX models (`engine_from_onnx`, `build_engines`).

Two routes to a reduced-precision engine (docs/tensorrt/notes.md):

- "strongly-typed" (default, TensorRT 10 and 11): the precision lives in the ONNX model.
  fp32 <- model.fp32.onnx, fp16 <- model.fp16.onnx, int8 <- model.int8.onnx (symmetric Q/DQ).
  The network is created with NetworkDefinitionCreationFlag.STRONGLY_TYPED, so TensorRT runs
  each tensor in the type the model says and takes no precision flags.
- "builder-flags" (TensorRT 10 only): weakly typed network from model.fp32.onnx; fp16 sets
  BuilderFlag.FP16, int8 sets BuilderFlag.INT8 with an IInt8EntropyCalibrator2 (or MinMax)
  fed from training images, caching its scales in a calibration cache. TensorRT 11 removed
  these APIs; asking for them there is a UsageError that names the strongly-typed route.

Features are detected with hasattr, never from the version string.

Layout and hygiene. An engine only runs on the GPU model and TensorRT version that built it:

    <root>/<name>/engines/<gpu-slug>/trt-<version>/model.<precision>[.builder-flags].engine
    <root>/tensorrt/<gpu-slug>/trt-<version>/timing.cache   (shared by every network's builds)

Each engine has a manifest record (toolkit.artifacts) with the GPU name and compute capability,
the TensorRT version, the source ONNX file and its sha256, and the build options. `build_engines`
rebuilds an engine whose record no longer matches; `check_engine` (used by TrtRunner) refuses it
with StaleArtifactError. An engine is never used silently.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import (
    ExportError,
    MissingArtifactError,
    StaleArtifactError,
    UnknownNameError,
    UsageError,
)
from mnx.toolkit.artifacts import (
    artifact_record,
    artifacts_root,
    network_dir,
    record_artifact,
    sha256_file,
    write_bytes_atomic,
)
from mnx.toolkit.gpu import GpuInfo, load_tensorrt, require_gpu
from mnx.toolkit.options import Calibrator, Precision, Route
from mnx.toolkit.runners.base import INPUT_NAME, OUTPUT_NAME

# The choices themselves are defined once, in toolkit.options; these are their spellings.
PRECISIONS = tuple(p.value for p in Precision)
STRONGLY_TYPED = Route.STRONGLY_TYPED.value
BUILDER_FLAGS = Route.BUILDER_FLAGS.value
ROUTES = tuple(r.value for r in Route)
CALIBRATORS = tuple(c.value for c in Calibrator)
ENGINES_DIR = "engines"


@dataclass(frozen=True)
class EngineOptions:
    """How to build engines.

    The batch profile defaults to 1 / 32 / 256: the benchmark sweeps batch 1..256, TensorRT
    tunes its kernels for `opt_batch` and accepts anything in [min_batch, max_batch].
    """

    precisions: tuple[str, ...] = PRECISIONS
    min_batch: int = 1
    opt_batch: int = 32
    max_batch: int = 256
    workspace_mib: int = 1024
    route: str = STRONGLY_TYPED
    timing_cache: Path | None = None  # None = <root>/tensorrt/<gpu>/trt-<version>/timing.cache
    use_timing_cache: bool = True
    calibrator: str = "entropy"  # builder-flags int8 only: "entropy" or "minmax"
    calibration_images: int = 512  # builder-flags int8 only, from the training set
    calibration_batch: int = 64
    rebuild: bool = False  # rebuild even when the recorded engine is current

    def __post_init__(self) -> None:
        for p in self.precisions:
            if p not in PRECISIONS:
                raise UnknownNameError("precision", p, PRECISIONS)
        if self.route not in ROUTES:
            raise UnknownNameError("TensorRT build route", self.route, ROUTES)
        if self.calibrator not in CALIBRATORS:
            raise UnknownNameError("calibrator", self.calibrator, CALIBRATORS)
        if not 1 <= self.min_batch <= self.opt_batch <= self.max_batch:
            raise UsageError(
                f"Bad batch profile min={self.min_batch} opt={self.opt_batch} max={self.max_batch}",
                expected="1 <= min_batch <= opt_batch <= max_batch",
                fix="e.g. --min-batch 1 --opt-batch 32 --max-batch 256",
            )
        if self.workspace_mib < 1:
            raise UsageError(
                f"Bad workspace size {self.workspace_mib} MiB", expected="a positive number of MiB"
            )
        if self.calibration_images < 1 or self.calibration_batch < 1:
            raise UsageError("Bad calibration size", expected="positive image and batch counts")

    def build_options(self, precision: str) -> dict[str, Any]:
        """What goes into the manifest: everything that changes the engine's bytes."""
        out: dict[str, Any] = {
            "precision": precision,
            "route": self.route,
            "min_batch": self.min_batch,
            "opt_batch": self.opt_batch,
            "max_batch": self.max_batch,
            "workspace_mib": self.workspace_mib,
        }
        if self.route == BUILDER_FLAGS and precision == "int8":
            out.update(
                calibrator=self.calibrator,
                calibration_images=self.calibration_images,
                calibration_batch=self.calibration_batch,
            )
        return out


@dataclass(frozen=True)
class EngineRecord:
    """One engine on disk and what it was built from."""

    network: str
    precision: str
    route: str
    engine_path: Path
    onnx_path: Path
    onnx_sha256: str
    gpu_name: str
    compute_capability: str
    tensorrt_version: str
    min_batch: int
    opt_batch: int
    max_batch: int
    engine_bytes: int
    build_s: float | None  # None when an existing engine was reused
    reused: bool
    timing_cache_path: Path | None
    rebuilt_because: str | None = None  # why a recorded engine was rebuilt
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


# --- paths --------------------------------------------------------------------------------------


def engine_dir(net_dir: Path, gpu: GpuInfo, trt_version: str) -> Path:
    return net_dir / ENGINES_DIR / gpu.slug / f"trt-{trt_version}"


def engine_filename(precision: str, route: str) -> str:
    return (
        f"model.{precision}.engine"
        if route == STRONGLY_TYPED
        else f"model.{precision}.{route}.engine"
    )


def default_timing_cache(root: Path, gpu: GpuInfo, trt_version: str) -> Path:
    return root / "tensorrt" / gpu.slug / f"trt-{trt_version}" / "timing.cache"


def source_onnx(net_dir: Path, precision: str, route: str) -> Path:
    """The ONNX model an engine of `precision` is built from on `route`."""
    if route == BUILDER_FLAGS:
        return net_dir / "model.fp32.onnx"  # precision comes from the builder flags
    return net_dir / f"model.{precision}.onnx"


# --- feature checks -----------------------------------------------------------------------------


def check_route(trt: Any, precision: str, route: str) -> None:
    """Raise UsageError when this TensorRT lacks what `route` needs for `precision`."""
    version = getattr(trt, "__version__", "?")
    if route == STRONGLY_TYPED:
        if not hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):
            raise UsageError(
                f"TensorRT {version} has no strongly typed networks",
                expected="TensorRT 10 or newer",
                fix="upgrade TensorRT (pip install 'mnx[tensorrt]') or use --route builder-flags",
            )
        return
    missing = []
    if precision == "fp16" and not hasattr(trt.BuilderFlag, "FP16"):
        missing.append("BuilderFlag.FP16")
    if precision == "int8":
        if not hasattr(trt.BuilderFlag, "INT8"):
            missing.append("BuilderFlag.INT8")
        if not (hasattr(trt, "IInt8EntropyCalibrator2") and hasattr(trt, "IInt8MinMaxCalibrator")):
            missing.append("the INT8 calibrators (IInt8EntropyCalibrator2/IInt8MinMaxCalibrator)")
    if missing:
        raise UsageError(
            f"TensorRT {version} has no {' or '.join(missing)}, which the builder-flags route "
            f"needs for {precision} (TensorRT 11 removed them)",
            expected="--route strongly-typed, which builds from the precision's own ONNX model",
            fix=f"mnx export <name> --{precision} --route strongly-typed",
        )


# --- build --------------------------------------------------------------------------------------


def engine_from_onnx(
    onnx_path: Path,
    engine_path: Path,
    precision: str,
    options: EngineOptions,
    *,
    calibration: np.ndarray | None = None,
    calibration_cache: Path | None = None,
    timing_cache: Path | None = None,
) -> float:
    """Build one engine from `onnx_path` and write it atomically to `engine_path`.

    `calibration` (float32 images shaped like the input) is needed only for int8 on the
    builder-flags route. Returns the build time in seconds. Recording provenance is the
    caller's job (`build_engines`).
    """
    if precision not in PRECISIONS:
        raise UnknownNameError("precision", precision, PRECISIONS)
    if not onnx_path.exists():
        raise MissingArtifactError(
            f"ONNX model '{onnx_path}' does not exist",
            expected=f"the {precision} ONNX model written by `mnx export`",
            fix=f"run `mnx export <name> --{precision}` first",
        )
    trt = load_tensorrt()
    check_route(trt, precision, options.route)
    start = time.perf_counter()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if options.route == STRONGLY_TYPED:
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ExportError(
            f"TensorRT could not parse '{onnx_path.name}': {errors or 'no detail'}",
            expected="an ONNX model written by `mnx export`",
            fix=f"re-export it (`mnx export <name> --{precision} --force`)",
        )
    rest = _input_rest_shape(network, onnx_path)

    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_mib << 20)
    profile = builder.create_optimization_profile()
    profile.set_shape(
        INPUT_NAME,
        (options.min_batch, *rest),
        (options.opt_batch, *rest),
        (options.max_batch, *rest),
    )
    if config.add_optimization_profile(profile) < 0:
        raise ExportError(
            f"TensorRT rejected the batch profile for '{onnx_path.name}'",
            expected=f"input '{INPUT_NAME}' with shape (N, {rest})",
        )

    calibrator = None
    if options.route == BUILDER_FLAGS:
        if precision == "fp16":
            config.set_flag(trt.BuilderFlag.FP16)
        elif precision == "int8":
            if calibration is None:
                raise UsageError(
                    "INT8 on the builder-flags route needs calibration images",
                    fix="call build_engines, which loads them from MNIST",
                )
            config.set_flag(trt.BuilderFlag.INT8)
            batch = min(options.calibration_batch, len(calibration))
            calibrator = make_calibrator(
                trt,
                calibration.reshape(-1, *rest).astype(np.float32),
                batch,
                calibration_cache,
                options.calibrator,
            )
            config.int8_calibrator = calibrator
            # calibration runs at one static shape: its own profile, min = opt = max = batch
            calib_profile = builder.create_optimization_profile()
            calib_profile.set_shape(INPUT_NAME, (batch, *rest), (batch, *rest), (batch, *rest))
            config.set_calibration_profile(calib_profile)

    if timing_cache is not None:
        cache = config.create_timing_cache(
            timing_cache.read_bytes() if timing_cache.exists() else b""
        )
        if not config.set_timing_cache(cache, False):
            # made by another GPU or TensorRT (e.g. a copied artifacts dir): start a fresh one
            config.set_timing_cache(config.create_timing_cache(b""), False)
    try:
        serialized = builder.build_serialized_network(network, config)
    finally:
        if calibrator is not None:
            calibrator.free()
    if serialized is None:
        raise ExportError(
            f"TensorRT failed to build the {precision} engine from '{onnx_path.name}' "
            "(its log above says why)",
            fix="rerun with --debug; try a larger --workspace-mib",
        )
    data = bytes(memoryview(serialized))
    engine = trt.Runtime(logger).deserialize_cuda_engine(data)
    if engine is None:
        raise ExportError(f"TensorRT built an engine it cannot load back ({onnx_path.name})")
    names = {engine.get_tensor_name(i) for i in range(engine.num_io_tensors)}
    if not {INPUT_NAME, OUTPUT_NAME} <= names:
        raise ExportError(
            f"Engine from '{onnx_path.name}' has tensors {sorted(names)}",
            expected=f"'{INPUT_NAME}' and '{OUTPUT_NAME}'",
        )
    write_bytes_atomic(engine_path, data)
    if timing_cache is not None:
        # the builder added this build's tactic timings to the cache: keep them for the next one
        write_bytes_atomic(timing_cache, bytes(memoryview(config.get_timing_cache().serialize())))
    return time.perf_counter() - start


def _input_rest_shape(network: Any, onnx_path: Path) -> tuple[int, ...]:
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        if tensor.name == INPUT_NAME:
            shape = tuple(tensor.shape)
            if len(shape) < 2 or any(d < 1 for d in shape[1:]):
                raise ExportError(
                    f"Input '{INPUT_NAME}' of '{onnx_path.name}' has shape {shape}",
                    expected="(N, 28, 28, 1) or (N, 784) with a dynamic batch N",
                )
            return tuple(int(d) for d in shape[1:])
    found = [network.get_input(i).name for i in range(network.num_inputs)]
    raise ExportError(
        f"'{onnx_path.name}' has inputs {found}, not '{INPUT_NAME}'",
        expected=f"one input named '{INPUT_NAME}'",
        fix="re-export with `mnx export <name> --force`",
    )


# --- legacy INT8 calibration (TensorRT 10 only) -------------------------------------------------


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


# --- provenance ---------------------------------------------------------------------------------


def _net_dir_of(engine_path: Path) -> Path | None:
    for parent in engine_path.parents:
        if parent.name == ENGINES_DIR:
            return parent.parent
    return None


def engine_staleness(
    engine_path: Path, gpu: GpuInfo, trt_version: str, options: dict[str, Any] | None = None
) -> str | None:
    """Why the engine at `engine_path` must not be used here; None when it is current."""
    net_dir = _net_dir_of(engine_path)
    if not engine_path.exists():
        return "it does not exist"
    if net_dir is None:
        return f"it is not under a '<network>/{ENGINES_DIR}/' directory, so it has no record"
    key = engine_path.relative_to(net_dir).as_posix()
    rec = artifact_record(net_dir, key)
    if rec is None:
        return "it has no manifest record"
    if rec.get("sha256") != sha256_file(engine_path):
        return "the engine file changed since it was built"
    built = rec.get("tensorrt", {})
    if (
        built.get("gpu_name") != gpu.name
        or built.get("compute_capability") != gpu.compute_capability
    ):
        return (
            f"it was built for {built.get('gpu_name')} (sm {built.get('compute_capability')}),"
            f" this is {gpu.name} (sm {gpu.compute_capability})"
        )
    if built.get("tensorrt_version") != trt_version:
        return f"it was built by TensorRT {built.get('tensorrt_version')}, this is {trt_version}"
    src = rec.get("source") or {}
    onnx = net_dir / str(src.get("file", ""))
    if not src or not onnx.is_file():
        return f"its source ONNX model '{src.get('file')}' is gone"
    if src.get("sha256") != sha256_file(onnx):
        return f"'{onnx.name}' changed since the engine was built"
    if options is not None and rec.get("options") != json.loads(json.dumps(options)):
        return "it was built with other options"
    return None


def check_engine(engine_path: Path, gpu: GpuInfo, trt_version: str) -> dict[str, Any]:
    """Return the engine's manifest record, or raise StaleArtifactError saying why not."""
    reason = engine_staleness(engine_path, gpu, trt_version)
    if reason is not None:
        raise StaleArtifactError(
            f"Refusing TensorRT engine '{engine_path}': {reason}",
            expected=f"an engine built on this GPU ({gpu.name}) by TensorRT {trt_version} from "
            "the current ONNX model",
            fix="rebuild it: `mnx export <name> --trt`",
        )
    net_dir = _net_dir_of(engine_path) or engine_path.parent  # found: staleness checked it
    return artifact_record(net_dir, engine_path.relative_to(net_dir).as_posix()) or {}


# --- all engines of one network -----------------------------------------------------------------


def export_precisions(options: Any) -> tuple[str, ...]:
    """The engine precisions an export asks for: fp32 always, fp16/int8 when its flags say so."""
    return (
        ("fp32",)
        + (("fp16",) if getattr(options, "fp16", False) else ())
        + (("int8",) if getattr(options, "int8", False) else ())
    )


def engine_options(options: Any) -> EngineOptions:
    """EngineOptions as given, or derived from the export pipeline's ExportOptions (see
    `export_precisions`), or the defaults for None."""
    if options is None:
        return EngineOptions()
    if isinstance(options, EngineOptions):
        return options
    return EngineOptions(precisions=export_precisions(options))


def build_engines(
    name: str, root: Path | None = None, options: EngineOptions | Any = None
) -> list[EngineRecord]:
    """Build (or reuse, when current) one engine per precision in `options` for network `name`.

    Raises MissingDependencyError without TensorRT or a GPU, MissingArtifactError when an ONNX
    model is missing (run `mnx export` first), UsageError for a route this TensorRT lacks.
    """
    options = engine_options(options)
    root = root or artifacts_root()
    net_dir = network_dir(name, root)
    trt = load_tensorrt()
    for precision in options.precisions:  # fail before building anything
        check_route(trt, precision, options.route)
    gpu = require_gpu()
    version = str(trt.__version__)
    out_dir = engine_dir(net_dir, gpu, version)
    timing_cache = None
    if options.use_timing_cache:
        timing_cache = options.timing_cache or default_timing_cache(root, gpu, version)

    records = []
    for precision in options.precisions:
        onnx = source_onnx(net_dir, precision, options.route)
        if not onnx.exists():
            raise MissingArtifactError(
                f"'{onnx}' does not exist, so no {precision} engine can be built for '{name}'",
                expected=f"{onnx.name} from `mnx export`",
                fix=f"mnx export {name} --{precision}",
            )
        engine_path = out_dir / engine_filename(precision, options.route)
        build_opts = options.build_options(precision)
        reason = engine_staleness(engine_path, gpu, version, build_opts)
        if reason is None and not options.rebuild:
            records.append(
                _record(
                    name, net_dir, engine_path, onnx, gpu, version, options, precision, None, None
                )
            )
            continue
        calibration = cache_path = None
        if options.route == BUILDER_FLAGS and precision == "int8":
            calibration = calibration_images(name, options.calibration_images)
            cache_path = (
                out_dir / f"calibration.{options.calibrator}.{sha256_file(onnx)[:12]}.cache"
            )
        seconds = engine_from_onnx(
            onnx,
            engine_path,
            precision,
            options,
            calibration=calibration,
            calibration_cache=cache_path,
            timing_cache=timing_cache,
        )
        record_artifact(
            net_dir,
            engine_path.relative_to(net_dir).as_posix(),
            source=onnx,
            options=build_opts,
            versions={"tensorrt": version},
            extra={
                "tensorrt": {
                    "gpu_name": gpu.name,
                    "compute_capability": gpu.compute_capability,
                    "gpu_slug": gpu.slug,
                    "tensorrt_version": version,
                    "build_s": round(seconds, 3),
                }
            },
        )
        was = None if reason == "it does not exist" else (reason or "--rebuild")
        records.append(
            _record(
                name,
                net_dir,
                engine_path,
                onnx,
                gpu,
                version,
                options,
                precision,
                seconds,
                was,
                timing_cache,
            )
        )
    return records


def _record(
    name: str,
    net_dir: Path,
    engine_path: Path,
    onnx: Path,
    gpu: GpuInfo,
    version: str,
    options: EngineOptions,
    precision: str,
    seconds: float | None,
    why: str | None,
    timing_cache: Path | None = None,
) -> EngineRecord:
    return EngineRecord(
        network=name,
        precision=precision,
        route=options.route,
        engine_path=engine_path,
        onnx_path=onnx,
        onnx_sha256=sha256_file(onnx),
        gpu_name=gpu.name,
        compute_capability=gpu.compute_capability,
        tensorrt_version=version,
        min_batch=options.min_batch,
        opt_batch=options.opt_batch,
        max_batch=options.max_batch,
        engine_bytes=engine_path.stat().st_size,
        build_s=seconds,
        reused=seconds is None,
        timing_cache_path=timing_cache,
        rebuilt_because=why,
    )


def calibration_images(name: str, count: int) -> np.ndarray:
    """The first `count` training images, preprocessed the way network `name` was trained."""
    from mnx import architectures
    from mnx.toolkit.data import load_mnist, preprocess

    net = architectures.get(name)
    data = load_mnist()
    return preprocess(data.x_train[:count], net.recipe.preprocessing, net.layout)
