"""A CPU double of the `tensorrt` Python module: the subset mnx uses, with the real names.

`make_tensorrt(version)` returns a module object. The version decides which APIs exist, exactly
as in the real bindings (docs/tensorrt/tensorrt-<version>-api.json, generated from the real
wheels): 10.x has BuilderFlag.FP16/INT8, IInt8EntropyCalibrator2, IInt8MinMaxCalibrator and
CalibrationAlgoType; 11.x does not, and numbers NetworkDefinitionCreationFlag differently.
tests/toolkit/engines/test_trt_api_names.py holds every public name, method parameter list and
enum value here to the real ones, so this double cannot drift from the API it stands for.
The runtime classes live in tensorrt_runtime.py, the Q/DQ rules in qdq_rules.py.

Semantics mirrored closely enough to catch wiring mistakes:
- OnnxParser really loads and checks the ONNX file and records its input/output names, shapes
  (-1 for dynamic dims) and dtypes; bad files give parser errors, and so does every Q/DQ node
  breaking TensorRT's explicit-quantization rules (support/fakes/qdq_rules.py).
- Optimization profiles check min <= opt <= max and the input name; build_serialized_network
  refuses a dynamic input without a profile, a profile of the wrong rank, precision flags on a
  strongly typed network, INT8 without Q/DQ or calibrator; it drives a legacy calibrator through
  read_calibration_cache / get_batch_size / get_batch / write_calibration_cache as TensorRT does,
  reading the batches from the fake device memory the calibrator points at.
- The plan bytes embed the ONNX model, tensor metadata, profile, precision and the TensorRT
  version; a plan from another version does not deserialize (None), as in TensorRT.
- The execution context checks set_input_shape against the profile; execute_async_v3 checks that
  every tensor has a shape and a device address large enough for it, then runs the ONNX model with
  ONNX Runtime on the bytes those addresses hold (through FakeCuda), so outputs are real.
- The timing cache is a blob of per-layer entries; builds report hits/misses in `_stats`.
"""

from __future__ import annotations

import hashlib
import json
import struct
import types
from enum import IntEnum
from typing import Any

import numpy as np

from support.fakes import qdq_rules
from support.fakes.cuda_bindings import FakeCuda
from support.fakes.tensorrt_runtime import runtime_classes

V10 = "10.16.1.11"
V11 = "11.4.0.106"
_PLAN_MAGIC = b"FAKETRTPLAN1"
_CACHE_MAGIC = b"FAKETRTCACHE1"


class _Stats:
    """What the double saw; tests read it as `trt._stats`."""

    def __init__(self) -> None:
        self.builds = 0
        self.timing_cache_hits = 0
        self.timing_cache_misses = 0
        self.calibration_batches = 0
        self.calibration_cache_reads = 0
        self.enqueues = 0
        self.errors: list[str] = []


def make_tensorrt(version: str = V10, cuda: FakeCuda | None = None) -> types.ModuleType:
    """A fake `tensorrt` module of `version` ("10.x" or "11.x"), using `cuda` for memory."""
    major = int(version.split(".")[0])
    legacy = major < 11
    cuda = cuda or FakeCuda()
    stats = _Stats()
    m = types.ModuleType("tensorrt")
    m.__version__ = version
    m._stats = stats  # type: ignore[attr-defined]
    m._cuda = cuda  # type: ignore[attr-defined]

    class DataType(IntEnum):
        FLOAT = 0
        HALF = 1
        INT8 = 2
        INT32 = 3
        BOOL = 4
        UINT8 = 5
        BF16 = 7
        INT64 = 8

    np_types = {
        DataType.FLOAT: np.float32,
        DataType.HALF: np.float16,
        DataType.INT8: np.int8,
        DataType.INT32: np.int32,
        DataType.BOOL: np.bool_,
        DataType.UINT8: np.uint8,
        DataType.INT64: np.int64,
    }
    onnx_types = {
        1: DataType.FLOAT,
        10: DataType.HALF,
        3: DataType.INT8,
        6: DataType.INT32,
        7: DataType.INT64,
        9: DataType.BOOL,
        2: DataType.UINT8,
        16: DataType.BF16,
    }

    def nptype(trt_type: Any) -> Any:
        return np_types[DataType(int(trt_type))]

    class TensorIOMode(IntEnum):
        NONE = 0
        INPUT = 1
        OUTPUT = 2

    class MemoryPoolType(IntEnum):
        WORKSPACE = 0
        TACTIC_SHARED_MEMORY = 5

    # 11.x dropped EXPLICIT_BATCH (bit 0) and renumbered: STRONGLY_TYPED is bit 1 in 10.x, 0 in 11.x
    creation = {"EXPLICIT_BATCH": 0, "STRONGLY_TYPED": 1} if legacy else {"STRONGLY_TYPED": 0}
    NetworkDefinitionCreationFlag = IntEnum("NetworkDefinitionCreationFlag", creation)  # noqa: N806
    flags = {"TF32": 6}
    if legacy:
        flags.update(FP16=0, INT8=1)
    BuilderFlag = IntEnum("BuilderFlag", flags)  # noqa: N806

    class Severity(IntEnum):
        INTERNAL_ERROR = 0
        ERROR = 1
        WARNING = 2
        INFO = 3
        VERBOSE = 4

    severity_enum = Severity

    class ILogger:
        """Subclassable like the real one (pybind11 trampoline): TensorRT calls `log`."""

        Severity = severity_enum
        INTERNAL_ERROR = severity_enum.INTERNAL_ERROR
        ERROR = severity_enum.ERROR
        WARNING = severity_enum.WARNING
        INFO = severity_enum.INFO
        VERBOSE = severity_enum.VERBOSE

        def __init__(self) -> None:
            pass

        def log(self, severity: Any, msg: str) -> None:
            raise NotImplementedError("ILogger.log is pure virtual")

    class Logger(ILogger):
        def __init__(self, min_severity: Any = Severity.WARNING) -> None:
            self.min_severity = Severity(int(min_severity))

        def log(self, severity: Any, msg: str) -> None:
            if int(severity) <= Severity.ERROR:
                stats.errors.append(msg)

    def _error(logger: Any, msg: str) -> None:
        stats.errors.append(msg)
        logger.log(Severity.ERROR, msg)

    class IHostMemory(bytes):
        @property
        def nbytes(self) -> int:
            return len(self)

    class ITensor:
        def __init__(self, name: str, shape: tuple[int, ...], dtype: DataType) -> None:
            self.name = name
            self.shape = shape
            self.dtype = dtype

    class INetworkDefinition:
        def __init__(self, flags: int) -> None:
            self._flags = flags
            self._inputs: list[ITensor] = []
            self._outputs: list[ITensor] = []
            self._onnx: bytes = b""
            self._qdq = False
            self._nodes: list[str] = []

        @property
        def num_inputs(self) -> int:
            return len(self._inputs)

        @property
        def num_outputs(self) -> int:
            return len(self._outputs)

        @property
        def num_layers(self) -> int:
            return len(self._nodes)

        def get_input(self, index: int) -> ITensor:
            return self._inputs[index]

        def get_output(self, index: int) -> ITensor:
            return self._outputs[index]

        @property
        def _strongly_typed(self) -> bool:
            return bool(self._flags >> int(NetworkDefinitionCreationFlag.STRONGLY_TYPED) & 1)

    class ParserError:
        def __init__(self, desc: str) -> None:
            self._desc = desc

        def desc(self) -> str:
            return self._desc

        def __str__(self) -> str:
            if self._desc.startswith("In node"):
                return self._desc
            return f"In node -1 (parse): {self._desc}"

    class OnnxParser:
        def __init__(self, network: INetworkDefinition, logger: Any) -> None:
            self._network = network
            self._logger = logger
            self._errors: list[ParserError] = []

        @property
        def num_errors(self) -> int:
            return len(self._errors)

        def get_error(self, index: int) -> ParserError:
            return self._errors[index]

        def clear_errors(self) -> None:
            self._errors = []

        def parse_from_file(self, model: str) -> bool:
            try:
                with open(model, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                self._errors.append(ParserError(f"Failed to open file: {model} ({exc})"))
                return False
            return self.parse(data)

        def parse(self, model: bytes, path: str | None = None) -> bool:
            import onnx

            try:
                proto = onnx.load_model_from_string(bytes(model))
                onnx.checker.check_model(proto)
            except Exception as exc:  # noqa: BLE001 - any failure is a parser error
                self._errors.append(ParserError(f"Failed to parse ONNX model: {exc}"))
                return False
            bad = qdq_rules.problems(proto)
            if bad:
                self._errors += [ParserError(b) for b in bad]
                return False
            net, graph = self._network, proto.graph
            inits = {i.name for i in graph.initializer}

            def tensor(vi: Any) -> ITensor:
                tt = vi.type.tensor_type
                shape = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim)
                return ITensor(vi.name, shape, onnx_types.get(tt.elem_type, DataType.FLOAT))

            net._inputs = [tensor(v) for v in graph.input if v.name not in inits]
            net._outputs = [tensor(v) for v in graph.output]
            net._onnx = bytes(model)
            net._qdq = any(n.op_type == "QuantizeLinear" for n in graph.node)
            net._nodes = [f"{n.op_type}:{n.name or i}" for i, n in enumerate(graph.node)]
            return True

    class IOptimizationProfile:
        def __init__(self) -> None:
            self._shapes: dict[str, tuple[tuple[int, ...], ...]] = {}

        def set_shape(self, input: str, min: Any, opt: Any, max: Any) -> None:  # noqa: A002
            lo, mid, hi = (tuple(int(d) for d in s) for s in (min, opt, max))
            if not (len(lo) == len(mid) == len(hi)) or not all(
                a <= b <= c for a, b, c in zip(lo, mid, hi, strict=True)
            ):
                # TensorRT rejects the shapes; the profile stays incomplete and invalid
                raise ValueError(f"invalid profile for '{input}': min {lo} opt {mid} max {hi}")
            self._shapes[input] = (lo, mid, hi)

        def get_shape(self, input: str) -> list[tuple[int, ...]]:  # noqa: A002
            return list(self._shapes.get(input, ()))

    class ITimingCache:
        def __init__(self, entries: dict[str, Any], tag: str) -> None:
            self._entries = entries
            self._tag = tag

        def serialize(self) -> IHostMemory:
            blob = json.dumps({"tag": self._tag, "entries": self._entries}).encode()
            return IHostMemory(_CACHE_MAGIC + blob)

        def combine(self, input_cache: ITimingCache, ignore_mismatch: bool) -> bool:
            if input_cache._tag != self._tag and not ignore_mismatch:
                return False
            self._entries.update(input_cache._entries)
            return True

        def reset(self) -> bool:
            self._entries.clear()
            return True

    device_tag = f"{cuda.gpu_name}|sm{cuda.compute_capability}|{version}"

    class IBuilderConfig:
        def __init__(self) -> None:
            self._pools: dict[int, int] = {}
            self._flags: set[int] = set()
            self._profiles: list[IOptimizationProfile] = []
            self._cache: ITimingCache | None = None
            self._calibrator: Any = None
            self._calib_profile: IOptimizationProfile | None = None

        def set_memory_pool_limit(self, pool: Any, pool_size: int) -> None:
            MemoryPoolType(int(pool))
            if pool_size < 0:
                raise ValueError("pool size must be >= 0")
            self._pools[int(pool)] = int(pool_size)

        def get_memory_pool_limit(self, pool: Any) -> int:
            return self._pools.get(int(pool), 1 << 62)

        def set_flag(self, flag: Any) -> None:
            self._flags.add(int(BuilderFlag(int(flag))))

        def clear_flag(self, flag: Any) -> None:
            self._flags.discard(int(flag))

        def get_flag(self, flag: Any) -> bool:
            return int(flag) in self._flags

        def add_optimization_profile(self, profile: IOptimizationProfile) -> int:
            if not profile._shapes:
                return -1  # an incomplete profile is rejected
            self._profiles.append(profile)
            return len(self._profiles) - 1

        @property
        def num_optimization_profiles(self) -> int:
            return len(self._profiles)

        def create_timing_cache(self, serialized_timing_cache: Any) -> ITimingCache:
            raw = bytes(serialized_timing_cache)
            if raw.startswith(_CACHE_MAGIC):
                blob = json.loads(raw[len(_CACHE_MAGIC) :])
                return ITimingCache(dict(blob["entries"]), blob["tag"])
            return ITimingCache({}, device_tag)  # empty or unreadable: a fresh cache

        def set_timing_cache(self, cache: ITimingCache, ignore_mismatch: bool) -> bool:
            if cache._tag != device_tag and not ignore_mismatch:
                return False  # made on another GPU / TensorRT: TensorRT refuses it
            self._cache = cache
            return True

        def get_timing_cache(self) -> ITimingCache | None:
            return self._cache

    if legacy:

        def _int8_calibrator(self: Any) -> Any:
            return self._calibrator

        def _set_int8_calibrator(self: Any, value: Any) -> None:
            self._calibrator = value

        IBuilderConfig.int8_calibrator = property(_int8_calibrator, _set_int8_calibrator)  # type: ignore[attr-defined]

        def set_calibration_profile(self: Any, profile: IOptimizationProfile) -> bool:
            self._calib_profile = profile
            return True

        def get_calibration_profile(self: Any) -> IOptimizationProfile | None:
            return self._calib_profile

        IBuilderConfig.set_calibration_profile = set_calibration_profile  # type: ignore[attr-defined]
        IBuilderConfig.get_calibration_profile = get_calibration_profile  # type: ignore[attr-defined]

    class Builder:
        def __init__(self, logger: Any) -> None:
            self._logger = logger

        def create_network(self, flags: int = 0) -> INetworkDefinition:
            known = {int(f) for f in NetworkDefinitionCreationFlag}
            if any(flags >> bit & 1 and bit not in known for bit in range(32)):
                raise ValueError(f"unknown NetworkDefinitionCreationFlag bits in {flags}")
            return INetworkDefinition(flags)

        def create_builder_config(self) -> IBuilderConfig:
            return IBuilderConfig()

        def create_optimization_profile(self) -> IOptimizationProfile:
            return IOptimizationProfile()

        def build_serialized_network(
            self, network: INetworkDefinition, config: IBuilderConfig
        ) -> IHostMemory | None:
            try:
                header = _build(network, config)
            except _BuildError as exc:
                _error(self._logger, str(exc))
                return None
            stats.builds += 1
            head = json.dumps(header).encode()
            return IHostMemory(_PLAN_MAGIC + struct.pack("<I", len(head)) + head + network._onnx)

    if legacy:

        def platform_has_fast_fp16(self: Any) -> bool:
            return True

        Builder.platform_has_fast_fp16 = property(platform_has_fast_fp16)  # type: ignore[attr-defined]

    class _BuildError(Exception):
        pass

    def _build(network: INetworkDefinition, config: IBuilderConfig) -> dict[str, Any]:
        if not network._onnx:
            raise _BuildError("Network must have at least one output (nothing was parsed)")
        strongly = network._strongly_typed
        if strongly and config._flags & {
            int(getattr(BuilderFlag, "FP16", -1)),
            int(getattr(BuilderFlag, "INT8", -1)),
        }:
            raise _BuildError(
                "precision builder flags are not allowed with a strongly typed network"
            )
        profiles = []
        for t in network._inputs:
            if -1 in t.shape and not config._profiles:
                raise _BuildError(
                    f"Network has dynamic or shape inputs, but no "
                    f"optimization profile has been defined (input {t.name})"
                )
            for p in config._profiles:
                shapes = p._shapes.get(t.name)
                if shapes is None:
                    raise _BuildError(
                        f"optimization profile is missing values for input '{t.name}'"
                    )
                for s in shapes:
                    if len(s) != len(t.shape) or any(
                        d != -1 and d != v for d, v in zip(t.shape, s, strict=True)
                    ):
                        raise _BuildError(
                            f"profile shape {s} does not match input '{t.name}' of shape {t.shape}"
                        )
            if config._profiles:
                profiles.append([list(s) for s in config._profiles[0]._shapes[t.name]])
        unknown = set().union(*(p._shapes for p in config._profiles)) - {
            t.name for t in network._inputs
        }
        if unknown:
            raise _BuildError(f"profile names unknown inputs {sorted(unknown)}")
        int8_flag = legacy and int(BuilderFlag.INT8) in config._flags
        fp16_flag = legacy and int(BuilderFlag.FP16) in config._flags
        calibrated = False
        if int8_flag and not network._qdq:
            if config._calibrator is None:
                raise _BuildError(
                    "Calibration failure occurred with no scaling factors "
                    "detected (INT8 without calibrator or Q/DQ)"
                )
            _calibrate(network, config)
            calibrated = True
        precision = (
            "int8"
            if network._qdq or int8_flag
            else "fp16"
            if fp16_flag or _is_fp16(network._onnx)
            else "fp32"
        )
        _touch_timing_cache(network, config, precision)
        return {
            "version": version,
            "device": device_tag,
            "precision": precision,
            "strongly_typed": strongly,
            "calibrated": calibrated,
            "profiles": profiles,
            "inputs": [[t.name, list(t.shape), int(t.dtype)] for t in network._inputs],
            "outputs": [[t.name, list(t.shape), int(t.dtype)] for t in network._outputs],
        }

    def _is_fp16(onnx_bytes: bytes) -> bool:
        import onnx

        return any(
            i.data_type == 10 for i in onnx.load_model_from_string(onnx_bytes).graph.initializer
        )

    def _touch_timing_cache(net: INetworkDefinition, config: IBuilderConfig, mode: str) -> None:
        cache = config._cache
        if cache is None:  # TensorRT then uses a private cache for this build only
            cache = ITimingCache({}, device_tag)
            config._cache = cache
        opt = [list(p._shapes[t.name][1]) for p in config._profiles[:1] for t in net._inputs]
        for node in net._nodes:
            key = hashlib.sha256(f"{node}|{mode}|{opt}".encode()).hexdigest()[:16]
            if key in cache._entries:
                stats.timing_cache_hits += 1
            else:
                stats.timing_cache_misses += 1
                cache._entries[key] = 0.01

    def _calibrate(network: INetworkDefinition, config: IBuilderConfig) -> None:
        calib = config._calibrator
        cached = calib.read_calibration_cache()
        algo = calib.get_algorithm()
        header = f"TRT-{version.replace('.', '')[:6]}-{algo.name}"
        if cached:
            stats.calibration_cache_reads += 1
            if bytes(cached).decode(errors="replace").splitlines()[0] == header:
                return  # a valid cache replaces calibration, as in TensorRT
        profile = config._calib_profile or (config._profiles[0] if config._profiles else None)
        inp = network._inputs[0]
        if profile is None or inp.name not in profile._shapes:
            raise _BuildError("calibration needs a calibration profile for dynamic inputs")
        shape = profile._shapes[inp.name][1]
        batch = calib.get_batch_size()
        if batch != shape[0]:
            raise _BuildError(
                f"calibrator batch size {batch} differs from the calibration "
                f"profile's batch {shape[0]}"
            )
        nbytes = int(np.prod(shape)) * 4
        amax = 0.0
        while True:
            ptrs = calib.get_batch([t.name for t in network._inputs])
            if ptrs is None:
                break
            if len(ptrs) != len(network._inputs):
                raise _BuildError(
                    f"get_batch returned {len(ptrs)} pointers for {len(network._inputs)} inputs"
                )
            view = cuda.device_view(int(ptrs[0]), nbytes)
            if view is None:
                raise _BuildError(
                    f"calibration batch pointer {ptrs[0]:#x} is not device memory of {nbytes} bytes"
                )
            amax = max(amax, float(np.abs(view.view(np.float32)).max()))
            stats.calibration_batches += 1
        if stats.calibration_batches == 0:
            raise _BuildError("Calibration failure: the calibrator gave no batches")
        text = f"{header}\n{inp.name}: {struct.pack('>f', amax / 127).hex()}\n"
        calib.write_calibration_cache(IHostMemory(text.encode()))

    if legacy:

        class CalibrationAlgoType(IntEnum):
            LEGACY_CALIBRATION = 0
            ENTROPY_CALIBRATION = 1
            ENTROPY_CALIBRATION_2 = 2
            MINMAX_CALIBRATION = 3

        class IInt8Calibrator:
            def get_algorithm(self) -> CalibrationAlgoType:
                return CalibrationAlgoType.LEGACY_CALIBRATION

        class IInt8EntropyCalibrator2(IInt8Calibrator):
            def get_algorithm(self) -> CalibrationAlgoType:
                return CalibrationAlgoType.ENTROPY_CALIBRATION_2

        class IInt8MinMaxCalibrator(IInt8Calibrator):
            def get_algorithm(self) -> CalibrationAlgoType:
                return CalibrationAlgoType.MINMAX_CALIBRATION

        m.CalibrationAlgoType = CalibrationAlgoType  # type: ignore[attr-defined]
        m.IInt8Calibrator = IInt8Calibrator  # type: ignore[attr-defined]
        m.IInt8EntropyCalibrator2 = IInt8EntropyCalibrator2  # type: ignore[attr-defined]
        m.IInt8MinMaxCalibrator = IInt8MinMaxCalibrator  # type: ignore[attr-defined]

    # --- runtime (tensorrt_runtime.py) ---------------------------------------------------------

    ICudaEngine, IExecutionContext, Runtime = runtime_classes(  # noqa: N806
        version=version,
        stats=stats,
        cuda=cuda,
        np_types=np_types,
        DataType=DataType,
        TensorIOMode=TensorIOMode,
        error=_error,
        plan_magic=_PLAN_MAGIC,
    )

    for obj in (
        DataType,
        TensorIOMode,
        MemoryPoolType,
        NetworkDefinitionCreationFlag,
        BuilderFlag,
        ILogger,
        Logger,
        IHostMemory,
        ITensor,
        INetworkDefinition,
        ParserError,
        OnnxParser,
        IOptimizationProfile,
        ITimingCache,
        IBuilderConfig,
        Builder,
        ICudaEngine,
        IExecutionContext,
        Runtime,
    ):
        setattr(m, obj.__name__, obj)
    m.nptype = nptype  # type: ignore[attr-defined]
    m.float32 = DataType.FLOAT  # type: ignore[attr-defined]
    m.float16 = DataType.HALF  # type: ignore[attr-defined]
    return m


def install(monkeypatch: Any, version: str = V10, cuda: FakeCuda | None = None) -> types.ModuleType:
    """Make `import tensorrt` return a fresh double of `version`, with `cuda` installed too."""
    import sys

    cuda = cuda or FakeCuda()
    cuda.install(monkeypatch)
    trt = make_tensorrt(version, cuda)
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    return trt
