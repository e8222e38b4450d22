"""TensorRT engines from the exported ONNX models, cut along Polygraphy's loaders.

    options.py     EngineOptions (a frozen config built once), Route, Calibrator
    routes.py      check_route: does this TensorRT have what the route needs (hasattr, no versions)
    loaders.py     network_from_onnx -> config_for -> engine_from_network; engine_from_onnx
    calibrator.py  the legacy INT8 calibrator of the builder-flags route (TensorRT 10 only)
    records.py     where engines live, EngineRecord, engine_staleness / check_engine
    build.py       build_engines: every precision of one network, one failure never stops the rest

Two routes to a reduced-precision engine (docs/tensorrt/notes.md):

- "strongly-typed" (default, TensorRT 10 and 11): the precision lives in the ONNX model.
  fp32 <- model.fp32.onnx, fp16 <- model.fp16.onnx, int8 <- model.int8.onnx (symmetric Q/DQ).
  The network is created with NetworkDefinitionCreationFlag.STRONGLY_TYPED, so TensorRT runs
  each tensor in the type the model says and takes no precision flags.
- "builder-flags" (TensorRT 10 only): weakly typed network from model.fp32.onnx; fp16 sets
  BuilderFlag.FP16, int8 sets BuilderFlag.INT8 with an IInt8EntropyCalibrator2 (or MinMax)
  fed from training images, caching its scales in a calibration cache. TensorRT 11 removed
  these APIs; asking for them there is a UsageError that names the strongly-typed route.
"""

from mnx.toolkit.export.tensorrt.build import build_engines
from mnx.toolkit.export.tensorrt.calibrator import calibration_images, make_calibrator
from mnx.toolkit.export.tensorrt.loaders import (
    ParsedNetwork,
    collecting_logger,
    config_for,
    engine_from_network,
    engine_from_onnx,
    network_from_onnx,
)
from mnx.toolkit.export.tensorrt.options import (
    BUILDER_FLAGS,
    CALIBRATORS,
    PRECISIONS,
    ROUTES,
    STRONGLY_TYPED,
    Calibrator,
    EngineOptions,
    Route,
)
from mnx.toolkit.export.tensorrt.records import (
    ENGINES_DIR,
    EngineRecord,
    check_engine,
    default_timing_cache,
    engine_dir,
    engine_filename,
    engine_staleness,
    failure_note,
    source_onnx,
)
from mnx.toolkit.export.tensorrt.routes import check_route

__all__ = [
    "BUILDER_FLAGS",
    "CALIBRATORS",
    "ENGINES_DIR",
    "PRECISIONS",
    "ROUTES",
    "STRONGLY_TYPED",
    "Calibrator",
    "EngineOptions",
    "EngineRecord",
    "ParsedNetwork",
    "Route",
    "build_engines",
    "calibration_images",
    "check_engine",
    "check_route",
    "collecting_logger",
    "config_for",
    "default_timing_cache",
    "engine_dir",
    "engine_filename",
    "engine_from_network",
    "engine_from_onnx",
    "engine_staleness",
    "failure_note",
    "make_calibrator",
    "network_from_onnx",
    "source_onnx",
]
