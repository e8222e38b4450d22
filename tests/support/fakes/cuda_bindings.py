"""A CPU double of cuda-python's runtime module (`cuda.bindings.runtime`), for runner tests.

Same call shapes as the real one: every function returns `(cudaError_t, *values)`. "Device"
memory is host memory the double tracks, so pointers are real addresses, but every copy and
every TensorRT binding is checked against the allocation table: a host pointer where a device
pointer belongs, a copy that overruns its buffer, or a swapped memcpy direction is an error,
as on a GPU. Work on a stream runs at once, or is recorded while the stream captures a graph
and replayed by cudaGraphLaunch.

    cuda = FakeCuda(gpu_name="NVIDIA Fake GPU", compute_capability=(8, 9))
    cuda.install(monkeypatch)      # makes `from cuda.bindings import runtime` return it
"""

from __future__ import annotations

import ctypes
import time
import types
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import numpy as np


class cudaError_t(IntEnum):  # noqa: N801 - the real name
    cudaSuccess = 0
    cudaErrorInvalidValue = 1
    cudaErrorMemoryAllocation = 2
    cudaErrorInsufficientDriver = 35
    cudaErrorNoDevice = 100
    cudaErrorInvalidDevice = 101
    cudaErrorInvalidResourceHandle = 400
    cudaErrorNotReady = 600
    cudaErrorIllegalAddress = 700
    cudaErrorStreamCaptureUnsupported = 900
    cudaErrorStreamCaptureInvalidated = 901


class cudaMemcpyKind(IntEnum):  # noqa: N801
    cudaMemcpyHostToHost = 0
    cudaMemcpyHostToDevice = 1
    cudaMemcpyDeviceToHost = 2
    cudaMemcpyDeviceToDevice = 3
    cudaMemcpyDefault = 4


class cudaStreamCaptureMode(IntEnum):  # noqa: N801
    cudaStreamCaptureModeGlobal = 0
    cudaStreamCaptureModeThreadLocal = 1
    cudaStreamCaptureModeRelaxed = 2


class _Handle:
    """cudaStream_t / cudaEvent_t / cudaGraph_t / cudaGraphExec_t: an opaque handle with int()."""

    def __init__(self, value: int) -> None:
        self._value = value

    def __int__(self) -> int:
        return self._value

    def getPtr(self) -> int:  # noqa: N802 - the real name
        return self._value


class cudaStream_t(_Handle):  # noqa: N801
    pass


class cudaEvent_t(_Handle):  # noqa: N801
    pass


class cudaGraph_t(_Handle):  # noqa: N801
    pass


class cudaGraphExec_t(_Handle):  # noqa: N801
    pass


class _DeviceProp:
    def __init__(self, name: str, major: int, minor: int, mem: int) -> None:
        self.name = name.encode() + b"\0" * (256 - len(name))  # char[256], as cuda-python gives
        self.major = major
        self.minor = minor
        self.totalGlobalMem = mem


OK = cudaError_t.cudaSuccess


class FakeCuda:
    """State of the double: allocations, streams, events, graphs, and counters tests read."""

    def __init__(
        self,
        gpu_name: str = "NVIDIA Fake GPU",
        compute_capability: tuple[int, int] = (8, 9),
        devices: int = 1,
        driver_version: int = 12040,
        runtime_version: int = 12040,
    ) -> None:
        self.gpu_name = gpu_name
        self.compute_capability = compute_capability
        self.devices = devices
        self.driver_version = driver_version
        self.runtime_version = runtime_version
        self.device_allocs: dict[int, np.ndarray] = {}
        self.host_allocs: dict[int, np.ndarray] = {}
        self.capturing: dict[int, list[Callable[[], None]]] = {}
        self.event_times: dict[int, int | None] = {}
        self.graphs: dict[int, list[Callable[[], None]]] = {}
        self.execs: dict[int, list[Callable[[], None]]] = {}
        self.streams: set[int] = set()
        self.counters = {"malloc": 0, "free": 0, "memcpy": 0, "graph_launch": 0, "capture": 0}
        self._next = 1
        self.module = self._make_module()

    # --- helpers the fake TensorRT uses ---------------------------------------------------------

    def device_view(self, ptr: int, nbytes: int) -> np.ndarray | None:
        """`nbytes` of device memory at `ptr` as a uint8 view, or None when not inside one
        allocation (the fake TensorRT then reports an illegal address)."""
        for base, buf in self.device_allocs.items():
            if base <= ptr and ptr + nbytes <= base + buf.nbytes:
                return buf[ptr - base : ptr - base + nbytes]
        return None

    def enqueue(self, stream: int, op: Callable[[], None]) -> None:
        """Run `op` on `stream` now, or record it while the stream captures a graph."""
        if stream in self.capturing:
            self.capturing[stream].append(op)
        else:
            op()

    def install(self, monkeypatch: Any, legacy: bool = False) -> None:
        """Make `from cuda.bindings import runtime` (or, legacy, `from cuda import cudart`)
        import this double."""
        from mnx.toolkit.runners import cuda as mnx_cuda

        pkg = types.ModuleType("cuda")
        pkg.__path__ = []  # a package, so submodule imports resolve through sys.modules
        if legacy:
            pkg.cudart = self.module  # type: ignore[attr-defined]
            monkeypatch.setitem(__import__("sys").modules, "cuda.cudart", self.module)
            monkeypatch.setitem(__import__("sys").modules, "cuda.bindings", None)
        else:
            bindings = types.ModuleType("cuda.bindings")
            bindings.__path__ = []
            bindings.runtime = self.module  # type: ignore[attr-defined]
            pkg.bindings = bindings  # type: ignore[attr-defined]
            monkeypatch.setitem(__import__("sys").modules, "cuda.bindings", bindings)
            monkeypatch.setitem(__import__("sys").modules, "cuda.bindings.runtime", self.module)
        monkeypatch.setitem(__import__("sys").modules, "cuda", pkg)
        mnx_cuda.reset_cudart()
        monkeypatch.setattr(mnx_cuda, "_CUDART", None)

    # --- the runtime API ------------------------------------------------------------------------

    def _id(self) -> int:
        self._next += 1
        return self._next

    def _is_device(self, ptr: int, nbytes: int) -> bool:
        return self.device_view(ptr, nbytes) is not None

    def _make_module(self) -> types.ModuleType:
        m = types.ModuleType("cuda.bindings.runtime")
        m.cudaError_t = cudaError_t  # type: ignore[attr-defined]
        m.cudaMemcpyKind = cudaMemcpyKind  # type: ignore[attr-defined]
        m.cudaStreamCaptureMode = cudaStreamCaptureMode  # type: ignore[attr-defined]
        m.cudaStream_t = cudaStream_t  # type: ignore[attr-defined]
        m.cudaEvent_t = cudaEvent_t  # type: ignore[attr-defined]
        for name in dir(self):
            if name.startswith("cuda"):
                setattr(m, name, getattr(self, name))
        return m

    def cudaGetErrorName(self, err: Any) -> tuple:  # noqa: N802
        return OK, cudaError_t(int(err)).name.encode()

    def cudaGetErrorString(self, err: Any) -> tuple:  # noqa: N802
        return OK, f"fake CUDA error {cudaError_t(int(err)).name}".encode()

    def cudaGetDeviceCount(self) -> tuple:  # noqa: N802
        if self.driver_version // 1000 < self.runtime_version // 1000:
            return cudaError_t.cudaErrorInsufficientDriver, 0  # as CUDA does
        if self.devices == 0:
            return cudaError_t.cudaErrorNoDevice, 0
        return OK, self.devices

    def cudaGetDeviceProperties(self, device: int) -> tuple:  # noqa: N802
        if not 0 <= device < self.devices:
            return cudaError_t.cudaErrorInvalidDevice, None
        major, minor = self.compute_capability
        return OK, _DeviceProp(self.gpu_name, major, minor, 24 << 30)

    def cudaDriverGetVersion(self) -> tuple:  # noqa: N802
        return OK, self.driver_version

    def cudaRuntimeGetVersion(self) -> tuple:  # noqa: N802
        return OK, self.runtime_version

    def cudaSetDevice(self, device: int) -> tuple:  # noqa: N802
        return (OK,) if 0 <= device < self.devices else (cudaError_t.cudaErrorInvalidDevice,)

    def cudaMalloc(self, size: int) -> tuple:  # noqa: N802
        buf = np.zeros(int(size), dtype=np.uint8)
        ptr = buf.ctypes.data
        self.device_allocs[ptr] = buf
        self.counters["malloc"] += 1
        return OK, ptr

    def cudaFree(self, ptr: int) -> tuple:  # noqa: N802
        if self.device_allocs.pop(int(ptr), None) is None:
            return (cudaError_t.cudaErrorInvalidValue,)
        self.counters["free"] += 1
        return (OK,)

    def cudaMallocHost(self, size: int) -> tuple:  # noqa: N802
        buf = np.zeros(int(size), dtype=np.uint8)
        self.host_allocs[buf.ctypes.data] = buf
        return OK, buf.ctypes.data

    def cudaFreeHost(self, ptr: int) -> tuple:  # noqa: N802
        ok = self.host_allocs.pop(int(ptr), None) is not None
        return (OK,) if ok else (cudaError_t.cudaErrorInvalidValue,)

    def _copy(self, dst: int, src: int, count: int, kind: Any) -> cudaError_t:
        err = self._check_copy(dst, src, count, kind)
        if err == OK:
            ctypes.memmove(int(dst), int(src), int(count))
            self.counters["memcpy"] += 1
        return err

    def _check_copy(self, dst: int, src: int, count: int, kind: Any) -> cudaError_t:
        kind = cudaMemcpyKind(int(kind))
        dst_dev, src_dev = self._is_device(dst, count), self._is_device(src, count)
        want = {
            cudaMemcpyKind.cudaMemcpyHostToDevice: (True, False),
            cudaMemcpyKind.cudaMemcpyDeviceToHost: (False, True),
            cudaMemcpyKind.cudaMemcpyDeviceToDevice: (True, True),
            cudaMemcpyKind.cudaMemcpyHostToHost: (False, False),
        }.get(kind)
        if want is not None and (dst_dev, src_dev) != want:
            return cudaError_t.cudaErrorInvalidValue  # wrong direction, or a buffer overrun
        return OK

    def cudaMemcpy(self, dst: int, src: int, count: int, kind: Any) -> tuple:  # noqa: N802
        return (self._copy(dst, src, count, kind),)

    def cudaMemcpyAsync(self, dst: int, src: int, count: int, kind: Any, stream: Any) -> tuple:  # noqa: N802
        s = int(stream)
        if s and s not in self.streams:
            return (cudaError_t.cudaErrorInvalidResourceHandle,)
        # check now (the real API validates arguments at enqueue), copy in stream order
        err = self._check_copy(dst, src, count, kind)
        if err == OK:
            self.enqueue(s, lambda: self._copy(dst, src, count, kind))
        return (err,)

    def cudaStreamCreate(self) -> tuple:  # noqa: N802
        s = self._id()
        self.streams.add(s)
        return OK, cudaStream_t(s)

    def cudaStreamDestroy(self, stream: Any) -> tuple:  # noqa: N802
        self.streams.discard(int(stream))
        return (OK,)

    def cudaStreamSynchronize(self, stream: Any) -> tuple:  # noqa: N802
        s = int(stream)
        if s in self.capturing:  # illegal during capture, and it invalidates the capture
            self.capturing[s] = [self._invalid]
            return (cudaError_t.cudaErrorStreamCaptureUnsupported,)
        return (OK,)

    @staticmethod
    def _invalid() -> None:
        raise RuntimeError("replayed an invalidated capture")

    def cudaEventCreate(self) -> tuple:  # noqa: N802
        e = self._id()
        self.event_times[e] = None
        return OK, cudaEvent_t(e)

    def cudaEventDestroy(self, event: Any) -> tuple:  # noqa: N802
        self.event_times.pop(int(event), None)
        return (OK,)

    def cudaEventRecord(self, event: Any, stream: Any) -> tuple:  # noqa: N802
        e = int(event)
        if e not in self.event_times:
            return (cudaError_t.cudaErrorInvalidResourceHandle,)

        def mark() -> None:
            self.event_times[e] = time.perf_counter_ns()

        self.enqueue(int(stream), mark)
        return (OK,)

    def cudaEventSynchronize(self, event: Any) -> tuple:  # noqa: N802
        return (OK,)

    def cudaEventElapsedTime(self, start: Any, end: Any) -> tuple:  # noqa: N802
        t0, t1 = self.event_times.get(int(start)), self.event_times.get(int(end))
        if t0 is None or t1 is None:
            return cudaError_t.cudaErrorInvalidResourceHandle, 0.0
        return OK, (t1 - t0) / 1e6

    def cudaStreamBeginCapture(self, stream: Any, mode: Any) -> tuple:  # noqa: N802
        s = int(stream)
        if s not in self.streams or s in self.capturing:
            return (cudaError_t.cudaErrorInvalidValue,)
        cudaStreamCaptureMode(int(mode))
        self.capturing[s] = []
        self.counters["capture"] += 1
        return (OK,)

    def cudaStreamEndCapture(self, stream: Any) -> tuple:  # noqa: N802
        s = int(stream)
        ops = self.capturing.pop(s, None)
        if ops is None:
            return cudaError_t.cudaErrorInvalidValue, None
        if ops and ops[0] is self._invalid:
            return cudaError_t.cudaErrorStreamCaptureInvalidated, None
        g = self._id()
        self.graphs[g] = ops
        return OK, cudaGraph_t(g)

    def cudaGraphInstantiate(self, graph: Any, flags: int) -> tuple:  # noqa: N802
        ops = self.graphs.get(int(graph))
        if ops is None:
            return cudaError_t.cudaErrorInvalidValue, None
        x = self._id()
        self.execs[x] = list(ops)
        return OK, cudaGraphExec_t(x)

    def cudaGraphLaunch(self, exec_: Any, stream: Any) -> tuple:  # noqa: N802
        ops = self.execs.get(int(exec_))
        if ops is None:
            return (cudaError_t.cudaErrorInvalidResourceHandle,)
        self.counters["graph_launch"] += 1
        for op in ops:
            self.enqueue(int(stream), op)
        return (OK,)

    def cudaGraphExecDestroy(self, exec_: Any) -> tuple:  # noqa: N802
        return (
            (OK,)
            if self.execs.pop(int(exec_), None) is not None
            else (cudaError_t.cudaErrorInvalidValue,)
        )

    def cudaGraphDestroy(self, graph: Any) -> tuple:  # noqa: N802
        return (
            (OK,)
            if self.graphs.pop(int(graph), None) is not None
            else (cudaError_t.cudaErrorInvalidValue,)
        )
