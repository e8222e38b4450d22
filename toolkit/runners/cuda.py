"""The little CUDA the GPU runners need, over NVIDIA's cuda-python (`cuda-bindings`).

Every cudart call returns a tuple `(cudaError_t, *values)`; `check` raises CudaError on anything
but cudaSuccess and unwraps the values. Device buffers, pinned host buffers, streams, events and
CUDA graphs are small classes with `free()`/`close()`; nothing here is imported before it is used,
so mnx works without cuda-python (`pip install 'mnx[gpu-cu13]'` or `'mnx[gpu-cu12]'` brings it).

cuda-python >= 12.6 (cuda-bindings) spells the module `cuda.bindings.runtime`; older releases
`cuda.cudart`. TensorRT's own samples use the same bindings since 10.13.
"""

from __future__ import annotations

import ctypes
from types import ModuleType
from typing import Any

import numpy as np

from mnx.errors import MissingDependencyError, MnxError

_CUDART: ModuleType | None = None


class CudaError(MnxError):
    """A CUDA runtime call failed."""


def load_cudart() -> ModuleType:
    """Import cudart from cuda-python (new or old layout) or raise MissingDependencyError."""
    global _CUDART
    if _CUDART is not None:
        return _CUDART
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:
        try:
            from cuda import cudart  # cuda-python < 12.6
        except ImportError as exc:
            raise MissingDependencyError(
                f"NVIDIA's cuda-python is not installed ({exc})",
                expected="the `cuda-python` package (CUDA runtime bindings) and an NVIDIA driver",
                fix="pip install 'mnx[gpu-cu13]' (driver R580+) or 'mnx[gpu-cu12]' (driver R525+)",
            ) from exc
    _CUDART = cudart
    return cudart


def reset_cudart() -> None:
    """Forget the imported module (tests swap in a double)."""
    global _CUDART
    _CUDART = None


def check(result: Any, call: str = "CUDA call") -> Any:
    """Raise CudaError unless `result[0]` is cudaSuccess; return the remaining value(s)."""
    err, *values = result if isinstance(result, tuple) else (result,)
    if int(err) != 0:
        cudart = load_cudart()
        try:
            _, name = cudart.cudaGetErrorName(err)
            _, text = cudart.cudaGetErrorString(err)
            detail = f"{_s(name)}: {_s(text)}"
        except Exception:  # the error text is a nicety; never mask the real failure
            detail = f"error {int(err)}"
        raise CudaError(
            f"{call} failed ({detail})",
            fix="check the GPU is visible (nvidia-smi) and has free memory; rerun with --debug",
        )
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


def set_device(index: int) -> None:
    check(load_cudart().cudaSetDevice(index), "cudaSetDevice")


class DeviceBuffer:
    """`nbytes` of device memory (cudaMalloc). `ptr` is the integer address TensorRT wants."""

    def __init__(self, nbytes: int) -> None:
        self.nbytes = int(nbytes)
        self.ptr: int = int(check(load_cudart().cudaMalloc(max(self.nbytes, 1)), "cudaMalloc"))

    def free(self) -> None:
        if self.ptr:
            check(load_cudart().cudaFree(self.ptr), "cudaFree")
            self.ptr = 0


class PinnedBuffer:
    """Page-locked host memory (cudaMallocHost) viewed as a numpy array of `shape` and `dtype`.

    Copies from pinned memory are truly asynchronous and run at full PCIe speed; from pageable
    numpy memory the driver stages them through a bounce buffer.
    """

    def __init__(self, shape: tuple[int, ...], dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        count = int(np.prod(shape)) if shape else 1
        self.nbytes = count * self.dtype.itemsize
        self.ptr: int = int(
            check(load_cudart().cudaMallocHost(max(self.nbytes, 1)), "cudaMallocHost")
        )
        raw = (ctypes.c_byte * max(self.nbytes, 1)).from_address(self.ptr)
        flat = np.frombuffer(raw, dtype=np.uint8, count=self.nbytes)
        self.array: np.ndarray = flat.view(self.dtype).reshape(shape)

    def free(self) -> None:
        if self.ptr:
            self.array = np.empty(0, self.dtype)  # drop the view before the memory goes
            check(load_cudart().cudaFreeHost(self.ptr), "cudaFreeHost")
            self.ptr = 0


class Stream:
    def __init__(self) -> None:
        self.handle = check(load_cudart().cudaStreamCreate(), "cudaStreamCreate")

    def __int__(self) -> int:
        """The raw cudaStream_t address, as TensorRT's execute_async_v3 takes it."""
        return int(self.handle)

    def synchronize(self) -> None:
        check(load_cudart().cudaStreamSynchronize(self.handle), "cudaStreamSynchronize")

    def close(self) -> None:
        if self.handle is not None:
            check(load_cudart().cudaStreamDestroy(self.handle), "cudaStreamDestroy")
            self.handle = None


class Event:
    def __init__(self) -> None:
        self.handle = check(load_cudart().cudaEventCreate(), "cudaEventCreate")

    def record(self, stream: Stream) -> None:
        check(load_cudart().cudaEventRecord(self.handle, stream.handle), "cudaEventRecord")

    def synchronize(self) -> None:
        check(load_cudart().cudaEventSynchronize(self.handle), "cudaEventSynchronize")

    def elapsed_ms(self, start: Event) -> float:
        """GPU time from `start` to this event, in milliseconds (both must have completed)."""
        ms = check(
            load_cudart().cudaEventElapsedTime(start.handle, self.handle), "cudaEventElapsedTime"
        )
        return float(ms)

    def close(self) -> None:
        if self.handle is not None:
            check(load_cudart().cudaEventDestroy(self.handle), "cudaEventDestroy")
            self.handle = None


def memcpy_htod_async(dst: DeviceBuffer, src: np.ndarray, stream: Stream) -> None:
    """Copy the host array `src` (C-contiguous) into the start of `dst` on `stream`."""
    if src.nbytes > dst.nbytes:
        raise CudaError(
            f"Host-to-device copy of {src.nbytes} bytes into a {dst.nbytes}-byte device buffer",
            expected="a device buffer at least as large as the batch",
        )
    cudart = load_cudart()
    kind = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
    check(
        cudart.cudaMemcpyAsync(dst.ptr, src.ctypes.data, src.nbytes, kind, stream.handle),
        "cudaMemcpyAsync (host to device)",
    )


def memcpy_dtoh_async(dst: np.ndarray, src: DeviceBuffer, stream: Stream) -> None:
    """Copy the first `dst.nbytes` of `src` into the host array `dst` on `stream`."""
    if dst.nbytes > src.nbytes:
        raise CudaError(
            f"Device-to-host copy of {dst.nbytes} bytes from a {src.nbytes}-byte device buffer",
            expected="a device buffer at least as large as the output",
        )
    cudart = load_cudart()
    kind = cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
    check(
        cudart.cudaMemcpyAsync(dst.ctypes.data, src.ptr, dst.nbytes, kind, stream.handle),
        "cudaMemcpyAsync (device to host)",
    )


def memcpy_htod(dst: DeviceBuffer, src: np.ndarray) -> None:
    """Blocking host-to-device copy (calibration batches: not timed)."""
    cudart = load_cudart()
    kind = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
    check(cudart.cudaMemcpy(dst.ptr, src.ctypes.data, src.nbytes, kind), "cudaMemcpy")


class Graph:
    """A CUDA graph captured from the work enqueued on a stream.

        graph = Graph.capture(stream, lambda: context.execute_async_v3(int(stream)))
        graph.launch(stream)

    The captured work replays with the same pointers and shapes; re-capture when they change.
    """

    def __init__(self, graph: Any, exec_: Any) -> None:
        self._graph = graph
        self._exec = exec_

    @classmethod
    def capture(cls, stream: Stream, enqueue: Any) -> Graph:
        cudart = load_cudart()
        # ThreadLocal: other threads' CUDA calls (e.g. a logger) must not invalidate the capture
        mode = cudart.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal
        check(cudart.cudaStreamBeginCapture(stream.handle, mode), "cudaStreamBeginCapture")
        try:
            enqueue()
        finally:
            # always end the capture, or the stream stays unusable
            graph = check(cudart.cudaStreamEndCapture(stream.handle), "cudaStreamEndCapture")
        exec_ = check(cudart.cudaGraphInstantiate(graph, 0), "cudaGraphInstantiate")
        return cls(graph, exec_)

    def launch(self, stream: Stream) -> None:
        check(load_cudart().cudaGraphLaunch(self._exec, stream.handle), "cudaGraphLaunch")

    def close(self) -> None:
        cudart = load_cudart()
        if self._exec is not None:
            check(cudart.cudaGraphExecDestroy(self._exec), "cudaGraphExecDestroy")
            self._exec = None
        if self._graph is not None:
            check(cudart.cudaGraphDestroy(self._graph), "cudaGraphDestroy")
            self._graph = None
