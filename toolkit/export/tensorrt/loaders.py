"""One engine from one ONNX file, in Polygraphy's steps, each a small callable testable alone:

    network_from_onnx -> config_for -> engine_from_network      (engine_from_onnx runs all three)

Every step takes the `trt` module it works with, so a test can hand it the double; every
TensorRT failure becomes an ExportError carrying TensorRT's own error text (the parser's errors,
or what the builder logged), so a caller can report it and go on with the next engine.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import ExportError, MissingArtifactError, UnknownNameError, UsageError
from mnx.toolkit.artifacts import write_bytes_atomic
from mnx.toolkit.export.tensorrt.calibrator import make_calibrator
from mnx.toolkit.export.tensorrt.options import PRECISIONS, EngineOptions, Route
from mnx.toolkit.runners.base import INPUT_NAME, OUTPUT_NAME


def collecting_logger(trt: Any) -> Any:
    """A trt.ILogger that prints warnings to stderr (as trt.Logger does) and keeps every error,
    so a failed build can say what TensorRT said instead of "see the log above"."""

    class CollectingLogger(trt.ILogger):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            trt.ILogger.__init__(self)  # pybind11 trampolines need the base initialised
            self.errors: list[str] = []

        def log(self, severity: Any, msg: str) -> None:
            if int(severity) <= int(trt.ILogger.ERROR):
                self.errors.append(str(msg))
            if int(severity) <= int(trt.ILogger.WARNING):
                print(f"[TensorRT] {msg}", file=sys.stderr)

    return CollectingLogger()


@dataclass
class ParsedNetwork:
    """What network_from_onnx returns: TensorRT objects that must outlive the build."""

    builder: Any
    network: Any
    parser: Any
    input_rest: tuple[int, ...]  # the input shape without the batch dimension


def network_from_onnx(trt: Any, logger: Any, onnx_path: Path, route: Route) -> ParsedNetwork:
    """Parse `onnx_path` into a network: strongly typed on that route, weakly typed otherwise."""
    builder = trt.Builder(logger)
    flags = 0
    if route is Route.STRONGLY_TYPED:
        # the bit differs between versions (1 in 10.x, 0 in 11.x): never a literal
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ExportError(
            f"TensorRT could not parse '{onnx_path.name}': {errors or 'no detail'}",
            expected="an ONNX model written by `mnx export` that TensorRT supports",
            fix="re-export it (`mnx export <name> --force`); see docs/tensorrt/notes.md",
        )
    return ParsedNetwork(builder, network, parser, input_rest_shape(network, onnx_path))


def input_rest_shape(network: Any, onnx_path: Path) -> tuple[int, ...]:
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


def config_for(
    trt: Any,
    parsed: ParsedNetwork,
    precision: str,
    options: EngineOptions,
    *,
    calibrator: Any = None,
    timing_cache: Path | None = None,
) -> Any:
    """The builder config: workspace, the batch profile, the precision flags and calibrator of
    the builder-flags route, and the timing cache (a foreign one is replaced by a fresh one)."""
    builder, rest = parsed.builder, parsed.input_rest
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_mib << 20)
    profile = builder.create_optimization_profile()
    shapes = [(b, *rest) for b in (options.min_batch, options.opt_batch, options.max_batch)]
    profile.set_shape(INPUT_NAME, *shapes)
    if config.add_optimization_profile(profile) < 0:
        raise ExportError(
            "TensorRT rejected the batch profile",
            expected=f"input '{INPUT_NAME}' with shape (N, {rest})",
        )
    if options.route is Route.BUILDER_FLAGS and precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    if calibrator is not None:
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = calibrator
        # calibration runs at one static shape: its own profile, min = opt = max = batch
        batch = calibrator.get_batch_size()
        calib_profile = builder.create_optimization_profile()
        calib_profile.set_shape(INPUT_NAME, *[(batch, *rest)] * 3)
        config.set_calibration_profile(calib_profile)
    if timing_cache is not None:
        raw = timing_cache.read_bytes() if timing_cache.exists() else b""
        if not config.set_timing_cache(config.create_timing_cache(raw), False):
            # made by another GPU or TensorRT (e.g. a copied artifacts dir): start a fresh one
            config.set_timing_cache(config.create_timing_cache(b""), False)
    return config


def engine_from_network(trt: Any, logger: Any, parsed: ParsedNetwork, config: Any) -> bytes:
    """Build, load back and check the engine; its serialized bytes."""
    serialized = parsed.builder.build_serialized_network(parsed.network, config)
    if serialized is None:
        said = "; ".join(getattr(logger, "errors", [])) or "no error text"
        raise ExportError(
            f"TensorRT failed to build the engine: {said}",
            fix="rerun with --debug; try a larger --workspace-mib",
        )
    data = bytes(memoryview(serialized))
    engine = trt.Runtime(logger).deserialize_cuda_engine(data)
    if engine is None:
        raise ExportError("TensorRT built an engine it cannot load back")
    names = {engine.get_tensor_name(i) for i in range(engine.num_io_tensors)}
    if not {INPUT_NAME, OUTPUT_NAME} <= names:
        raise ExportError(
            f"The engine has tensors {sorted(names)}",
            expected=f"'{INPUT_NAME}' and '{OUTPUT_NAME}'",
        )
    return data


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
    from mnx.toolkit.export.tensorrt.routes import check_route
    from mnx.toolkit.gpu import load_tensorrt

    _check_inputs(onnx_path, precision)
    trt = load_tensorrt()
    check_route(trt, precision, options.route)
    start = time.perf_counter()
    logger = collecting_logger(trt)
    try:
        parsed = network_from_onnx(trt, logger, onnx_path, options.route)
        calibrator = None
        if options.route is Route.BUILDER_FLAGS and precision == "int8":
            if calibration is None:
                raise UsageError(
                    "INT8 on the builder-flags route needs calibration images",
                    fix="call build_engines, which loads them from MNIST",
                )
            images = calibration.reshape(-1, *parsed.input_rest).astype(np.float32)
            batch = min(options.calibration_batch, len(images))
            calibrator = make_calibrator(trt, images, batch, calibration_cache, options.calibrator)
        try:
            config = config_for(
                trt, parsed, precision, options, calibrator=calibrator, timing_cache=timing_cache
            )
            data = engine_from_network(trt, logger, parsed, config)
        finally:
            if calibrator is not None:
                calibrator.free()
    except ExportError as exc:
        raise ExportError(
            f"{precision} engine from '{onnx_path.name}': {exc.what}", exc.expected, exc.fix
        ) from exc
    write_bytes_atomic(engine_path, data)
    if timing_cache is not None:
        # the builder added this build's tactic timings to the cache: keep them for the next one
        write_bytes_atomic(timing_cache, bytes(memoryview(config.get_timing_cache().serialize())))
    return time.perf_counter() - start


def _check_inputs(onnx_path: Path, precision: str) -> None:
    if precision not in PRECISIONS:
        raise UnknownNameError("precision", precision, PRECISIONS)
    if not onnx_path.exists():
        raise MissingArtifactError(
            f"ONNX model '{onnx_path}' does not exist",
            expected=f"the {precision} ONNX model written by `mnx export`",
            fix=f"run `mnx export <name> --{precision}` first",
        )
