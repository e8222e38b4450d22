"""The runtime half of the TensorRT double: ICudaEngine, IExecutionContext, Runtime.

Split from tensorrt.py (the builder half) to keep each module readable; `runtime_classes` is
called by `make_tensorrt` with the state both halves share.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np


def runtime_classes(
    *,
    version: str,
    stats: Any,
    cuda: Any,
    np_types: dict[Any, Any],
    DataType: Any,  # noqa: N803 - the real enum's name
    TensorIOMode: Any,  # noqa: N803
    error: Any,
    plan_magic: bytes,
) -> tuple[type, type, type]:
    """(ICudaEngine, IExecutionContext, Runtime) bound to one fake module's state."""
    _error = error
    _PLAN_MAGIC = plan_magic  # noqa: N806

    class ICudaEngine:
        def __init__(self, header: dict[str, Any], onnx_bytes: bytes) -> None:
            self._header = header
            self._onnx = onnx_bytes
            self._io = [
                (n, list(s), DataType(d), TensorIOMode.INPUT) for n, s, d in header["inputs"]
            ] + [(n, list(s), DataType(d), TensorIOMode.OUTPUT) for n, s, d in header["outputs"]]
            self._session: Any = None

        def _find(self, name: str) -> Any:
            return next((t for t in self._io if t[0] == name), None)

        @property
        def num_io_tensors(self) -> int:
            return len(self._io)

        @property
        def num_optimization_profiles(self) -> int:
            return 1 if self._header["profiles"] else 0

        def get_tensor_name(self, index: int) -> str:
            return self._io[index][0]

        def get_tensor_mode(self, name: str) -> TensorIOMode:
            t = self._find(name)
            return TensorIOMode.NONE if t is None else t[3]

        def get_tensor_shape(self, name: str) -> tuple[int, ...]:
            t = self._find(name)
            return tuple(t[1]) if t else ()

        def get_tensor_dtype(self, name: str) -> DataType:
            t = self._find(name)
            return t[2] if t else DataType.FLOAT

        def get_tensor_profile_shape(self, name: str, profile_index: int) -> list[tuple[int, ...]]:
            index = [t[0] for t in self._io if t[3] == TensorIOMode.INPUT].index(name)
            return [tuple(s) for s in self._header["profiles"][index]] if profile_index == 0 else []

        def create_execution_context(self, strategy: Any = None) -> IExecutionContext:
            return IExecutionContext(self)

    class IExecutionContext:
        def __init__(self, engine: ICudaEngine) -> None:
            self.engine = engine
            self._shapes: dict[str, tuple[int, ...]] = {}
            self._addresses: dict[str, int] = {}

        def set_input_shape(self, name: str, shape: Any) -> bool:
            shape = tuple(int(d) for d in shape)
            t = self.engine._find(name)
            if t is None or t[3] != TensorIOMode.INPUT:
                stats.errors.append(f"set_input_shape: no input named '{name}'")
                return False
            lo, _, hi = self.engine.get_tensor_profile_shape(name, 0)
            if len(shape) != len(lo) or not all(
                a <= s <= b for a, s, b in zip(lo, shape, hi, strict=True)
            ):
                stats.errors.append(f"set_input_shape: {shape} outside profile [{lo}, {hi}]")
                return False
            self._shapes[name] = shape
            return True

        def get_tensor_shape(self, name: str) -> tuple[int, ...]:
            t = self.engine._find(name)
            if t is None:
                return ()
            if t[3] == TensorIOMode.INPUT:
                return self._shapes.get(name, tuple(t[1]))
            batch = next(iter(self._shapes.values()), (-1,))[0]
            return tuple(batch if d == -1 else d for d in t[1])

        def set_tensor_address(self, name: str, memory: int) -> bool:
            if self.engine._find(name) is None:
                return False
            self._addresses[name] = int(memory)
            return True

        def get_tensor_address(self, name: str) -> int:
            return self._addresses.get(name, 0)

        def execute_async_v3(self, stream_handle: int) -> bool:
            views = {}
            for name, _shape, dtype, _mode in self.engine._io:
                shape = self.get_tensor_shape(name)
                if -1 in shape:
                    stats.errors.append(f"execute_async_v3: shape of '{name}' not set")
                    return False
                nbytes = int(np.prod(shape)) * np.dtype(np_types[dtype]).itemsize
                view = cuda.device_view(self._addresses.get(name, 0), nbytes)
                if view is None:
                    stats.errors.append(
                        f"execute_async_v3: '{name}' needs {nbytes} bytes of "
                        "device memory at its address"
                    )
                    return False
                views[name] = view.view(np_types[dtype]).reshape(shape)
            stats.enqueues += 1
            cuda.enqueue(int(stream_handle), lambda: self._run(views))
            return True

        def _run(self, views: dict[str, np.ndarray]) -> None:
            import onnxruntime as ort

            engine = self.engine
            if engine._session is None:
                engine._session = ort.InferenceSession(
                    engine._onnx, providers=["CPUExecutionProvider"]
                )
            ins = [t[0] for t in engine._io if t[3] == TensorIOMode.INPUT]
            outs = [t[0] for t in engine._io if t[3] == TensorIOMode.OUTPUT]
            results = engine._session.run(outs, {n: views[n].copy() for n in ins})
            for name, value in zip(outs, results, strict=True):
                views[name][...] = value

    class Runtime:
        def __init__(self, logger: Any) -> None:
            self._logger = logger

        def deserialize_cuda_engine(self, serialized_engine: Any) -> ICudaEngine | None:
            raw = bytes(serialized_engine)
            if not raw.startswith(_PLAN_MAGIC):
                _error(self._logger, "Serialization assertion failed: magic tag mismatch")
                return None
            (n,) = struct.unpack("<I", raw[len(_PLAN_MAGIC) : len(_PLAN_MAGIC) + 4])
            start = len(_PLAN_MAGIC) + 4
            header = json.loads(raw[start : start + n])
            if header["version"] != version:
                _error(
                    self._logger,
                    f"The engine plan file is not compatible with this version "
                    f"of TensorRT, expecting library version {version} got "
                    f"{header['version']}",
                )
                return None
            return ICudaEngine(header, raw[start + n :])

    return ICudaEngine, IExecutionContext, Runtime
