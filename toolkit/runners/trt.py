"""TrtRunner: run a serialized TensorRT engine (TensorRT 10 / 11 tensor API, cuda-python).

    with TrtRunner(engine_path) as runner:
        probs = runner.infer(x)                 # float32 (N, 28, 28, 1) or (N, 784)
        runner.last_device_timing()             # DeviceTiming(h2d_ms, compute_ms, d2h_ms)

Per `infer`: copy the batch into a pinned host buffer, H2D copy, `execute_async_v3` (or a CUDA
graph replaying it), D2H copy, stream sync. CUDA events split the device time into H2D, compute
and D2H, as trtexec reports them. Buffers are sized from the engine's tensor shapes and dtypes
for the largest batch seen so far and reallocated only when a batch is larger.

Two switches match trtexec 10 or 11 (whose defaults differ; docs/tensorrt/notes.md):
- `use_cuda_graph` (trtexec --useCudaGraph; 10.x default off, 11.x on): the enqueue is captured
  once per batch size and replayed. The first call at a new batch size runs the enqueue once
  (TensorRT's shape-dependent setup) and captures; the harness always makes at least one untimed
  warm-up call, so the capture is never in a timed call.
- `include_transfers` (10.x default: included; 11.x: excluded, like --noDataTransfers): when
  False, an input array passed again (the same object, unmodified, as the harness does) stays
  on the device and its output is the one already on the host, so a timed call is the enqueue
  and stream sync only. A new array is always copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import CorruptArtifactError, MissingArtifactError, UsageError
from mnx.toolkit.runners.base import INPUT_NAME, OUTPUT_NAME, DeviceTiming, Runner


@dataclass(frozen=True)
class TrtTiming:
    """What a TensorRT figure includes. Defaults: trtexec 10 (no CUDA graph, transfers timed);
    `TrtTiming(cuda_graph=True, include_transfers=False)` is trtexec 11's default."""

    cuda_graph: bool = False
    include_transfers: bool = True


class TrtRunner(Runner):
    """Runs one engine. `verify` refuses engines whose manifest record does not match this GPU,
    this TensorRT and the current ONNX model (StaleArtifactError); `use_cuda_graph` captures the
    enqueue once per batch size and replays it (what trtexec 11 does by default)."""

    backend = "trt"
    max_batch: int = 0  # the optimization profile's largest batch, read at load

    def __init__(
        self,
        engine_path: Path | str,
        *,
        use_cuda_graph: bool = False,
        include_transfers: bool = True,
        verify: bool = True,
        device: int = 0,
    ) -> None:
        super().__init__()
        self.engine_path = Path(engine_path)
        self.use_cuda_graph = use_cuda_graph
        self.include_transfers = include_transfers
        self.captures = 0  # CUDA graphs captured (tests and reports read it)
        self._resident: tuple[int, tuple[int, ...]] | None = None  # input already on the device
        self.verify = verify
        self.device = device
        self.record: dict[str, Any] = {}
        self._timing: DeviceTiming | None = None
        self._capacity = 0  # batch the buffers are sized for
        self._batch = 0  # batch the context's input shape is set to
        self._graphs: dict[int, Any] = {}

    @property
    def timed_scope(self) -> str:  # type: ignore[override]
        """What one timed call includes, with both switches spelled out (they go into each row)."""
        graph = "CUDA graph: on" if self.use_cuda_graph else "CUDA graph: off"
        if self.include_transfers:
            what = "copy into pinned memory + H2D + enqueue + D2H + stream sync"
            return f"{graph}; transfers: included (trtexec 10 style); host latency: {what}"
        return (
            f"{graph}; transfers: excluded (trtexec 11 style, input kept on the device); "
            "host latency: enqueue + stream sync"
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def _load(self) -> None:
        from mnx.toolkit.gpu import load_tensorrt, require_gpu
        from mnx.toolkit.runners import cuda

        if not self.engine_path.exists():
            raise MissingArtifactError(
                f"TensorRT engine '{self.engine_path}' does not exist",
                fix="build it: `mnx export <name> --trt`",
            )
        trt = load_tensorrt()
        if self.verify:
            from mnx.toolkit.export.tensorrt import check_engine

            self.record = check_engine(
                self.engine_path, require_gpu(self.device), str(trt.__version__)
            )
        cuda.set_device(self.device)
        self._trt = trt
        self._cuda = cuda
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self._engine = self._runtime.deserialize_cuda_engine(self.engine_path.read_bytes())
        if self._engine is None:
            raise CorruptArtifactError(
                f"TensorRT {trt.__version__} cannot load '{self.engine_path}'",
                expected="an engine serialized by this TensorRT version",
                fix="rebuild it: `mnx export <name> --trt --rebuild`",
            )
        self._context = self._engine.create_execution_context()
        self._tensors: dict[str, tuple[bool, tuple[int, ...], Any]] = {}
        for i in range(self._engine.num_io_tensors):
            name = self._engine.get_tensor_name(i)
            is_input = self._engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
            shape = tuple(self._engine.get_tensor_shape(name))
            dtype = np.dtype(trt.nptype(self._engine.get_tensor_dtype(name)))
            self._tensors[name] = (is_input, shape, dtype)
        for name, want_input in ((INPUT_NAME, True), (OUTPUT_NAME, False)):
            if name not in self._tensors or self._tensors[name][0] != want_input:
                raise CorruptArtifactError(
                    f"Engine '{self.engine_path.name}' has IO tensors {sorted(self._tensors)}",
                    expected=f"input '{INPUT_NAME}' and output '{OUTPUT_NAME}'",
                )
        lo, _opt, hi = self._engine.get_tensor_profile_shape(INPUT_NAME, 0)
        self.min_batch, self.max_batch = int(lo[0]), int(hi[0])
        self._stream: Any = cuda.Stream()
        self._events = [cuda.Event() for _ in range(4)]
        self._device: dict[str, Any] = {}
        self._host: dict[str, Any] = {}

    def _close(self) -> None:
        for graph in self._graphs.values():
            graph.close()
        self._graphs = {}
        for buf in [*getattr(self, "_device", {}).values(), *getattr(self, "_host", {}).values()]:
            buf.free()
        self._device, self._host = {}, {}
        for ev in getattr(self, "_events", []):
            ev.close()
        self._events = []
        if getattr(self, "_stream", None) is not None:
            self._stream.close()
            self._stream = None
        self._context = self._engine = self._runtime = None
        self._capacity = self._batch = 0

    @property
    def model_file(self) -> Path:
        return self.engine_path

    # --- inference ---------------------------------------------------------------------------

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The engine's input shape, -1 for the dynamic batch."""
        return self._tensors[INPUT_NAME][1]

    def buffer_bytes(self) -> dict[str, int]:
        """Allocated device bytes per tensor (for tests and memory reports)."""
        return {name: buf.nbytes for name, buf in self._device.items()}

    def infer(self, x: np.ndarray) -> np.ndarray:
        _, shape, in_dtype = self._tensors[INPUT_NAME]
        rest = shape[1:]
        if x.ndim != len(shape) or tuple(x.shape[1:]) != rest:
            raise UsageError(
                f"Batch of shape {x.shape} for engine input {('N', *rest)}",
                expected=f"(N, {', '.join(map(str, rest))})",
            )
        n = int(x.shape[0])
        if not self.min_batch <= n <= self.max_batch:
            raise UsageError(
                f"Batch size {n} is outside the engine's profile "
                f"[{self.min_batch}, {self.max_batch}] ({self.engine_path.name})",
                expected=f"{self.min_batch} <= batch <= {self.max_batch}",
                fix=f"rebuild with a larger profile: `mnx export <name> --trt --max-batch {n}`",
            )
        self._prepare(n)
        cuda = self._cuda
        host_out = self._host[OUTPUT_NAME].array[: self._out_shape[0]]
        key = (id(x), x.__array_interface__["data"][0], *x.shape)
        copy = self.include_transfers or self._resident != key
        start, after_h2d, after_compute, end = self._events
        start.record(self._stream)
        if copy:
            host_in = self._host[INPUT_NAME].array[:n]
            np.copyto(host_in, x, casting="same_kind")
            cuda.memcpy_htod_async(self._device[INPUT_NAME], host_in, self._stream)
        after_h2d.record(self._stream)
        if self.use_cuda_graph:
            self._graph(n).launch(self._stream)
        else:
            self._enqueue()
        after_compute.record(self._stream)
        if copy:
            cuda.memcpy_dtoh_async(host_out, self._device[OUTPUT_NAME], self._stream)
        end.record(self._stream)
        self._stream.synchronize()
        self._resident = None if self.include_transfers else key
        self._timing = DeviceTiming(
            h2d_ms=after_h2d.elapsed_ms(start) if copy else None,
            compute_ms=after_compute.elapsed_ms(after_h2d),
            d2h_ms=end.elapsed_ms(after_compute) if copy else None,
        )
        return host_out.astype(np.float32, copy=True)  # the pinned buffer is reused next call

    def last_device_timing(self) -> DeviceTiming | None:
        return self._timing

    def _enqueue(self) -> None:
        if not self._context.execute_async_v3(int(self._stream)):
            raise CorruptArtifactError(
                f"TensorRT failed to enqueue '{self.engine_path.name}'",
                fix="rerun with --debug to see TensorRT's log",
            )

    def _graph(self, n: int) -> Any:
        graph = self._graphs.get(n)
        if graph is None:
            # TensorRT does shape-dependent setup on the first enqueue after a shape change;
            # that must happen outside the capture (TensorRT developer guide, "CUDA Graphs").
            self._enqueue()
            self._stream.synchronize()
            graph = self._graphs[n] = self._cuda.Graph.capture(self._stream, self._enqueue)
            self.captures += 1
        return graph

    def _prepare(self, n: int) -> None:
        """Size buffers for batch `n` (grow only) and point the context at them."""
        cuda = self._cuda
        if n > self._capacity:
            for graph in self._graphs.values():  # graphs hold the old addresses
                graph.close()
            self._graphs = {}
            for buf in [*self._device.values(), *self._host.values()]:
                buf.free()
            self._device, self._host = {}, {}
            for name, (_is_input, shape, dtype) in self._tensors.items():
                full = (n, *shape[1:])
                self._host[name] = cuda.PinnedBuffer(full, dtype)
                self._device[name] = cuda.DeviceBuffer(self._host[name].nbytes)
                if not self._context.set_tensor_address(name, self._device[name].ptr):
                    raise CorruptArtifactError(f"TensorRT refused the address of '{name}'")
            self._capacity = n
            self._batch = 0
            self._resident = None  # new buffers hold nothing yet
        if n != self._batch:
            self._resident = None
            shape = (n, *self._tensors[INPUT_NAME][1][1:])
            if not self._context.set_input_shape(INPUT_NAME, shape):
                raise UsageError(
                    f"TensorRT rejected input shape {shape}",
                    expected=f"a batch in [{self.min_batch}, {self.max_batch}]",
                )
            self._batch = n
            self._out_shape = tuple(self._context.get_tensor_shape(OUTPUT_NAME))
            if self._out_shape[0] != n:
                raise CorruptArtifactError(
                    f"Engine output shape {self._out_shape} for a batch of {n}",
                    expected=f"({n}, 10)",
                )
