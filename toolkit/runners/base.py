"""The runner lifecycle every backend follows (after Polygraphy's BaseRunner).

    with OrtRunner(path, threads=2) as runner:   # __enter__ calls load()
        probs = runner.infer(x)                   # x: float32 (N, 28, 28, 1) or (N, 784)

A runner does nothing heavy in __init__. `infer` takes one preprocessed float32 batch and returns
the (N, 10) float32 softmax outputs as a host array. GPU runners also time their own device work
with CUDA events; the harness reads that through `last_device_timing()`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np

INPUT_NAME = "input"  # the ONNX/engine input tensor name every exporter uses
OUTPUT_NAME = "output"  # the (N, 10) softmax output tensor name


@dataclass(frozen=True)
class DeviceTiming:
    """Device-side times of the last `infer` call (None = not measured). TrtRunner takes them
    from CUDA events; OrtCudaRunner from host-clock spans around synchronous steps (its
    `timed_scope` says so)."""

    h2d_ms: float | None
    compute_ms: float | None
    d2h_ms: float | None


class Runner(ABC):
    """Base class: load / infer / close, usable as a context manager.

    `load()` and `close()` are final (Polygraphy's template): subclasses implement `_load()` and
    `_close()`, and only the base sets `is_loaded`, so no caller has to. What a caller may ask a
    runner (its backend, timed scope, providers, batch limit, file) is on this interface, never
    probed with getattr."""

    #: backend id as the CLI spells it: "keras", "ort", "ort-cuda", "trt", "openvino"
    backend: str = ""
    #: one line saying what a host-timed `infer` call includes, shown beside latency figures
    timed_scope: str = ""
    #: the largest batch `infer` accepts (TensorRT: its optimization profile); None = any
    max_batch: int | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for final in ("load", "close"):
            if final in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides Runner.{final}(); implement _{final}() instead"
                )

    def __init__(self) -> None:
        self.is_loaded = False

    def load(self) -> None:
        """Do the expensive part (open the session / engine, allocate buffers); idempotent."""
        if not self.is_loaded:
            self._load()
            self.is_loaded = True

    def close(self) -> None:
        """Release sessions, buffers and streams; safe to call twice or after a failed load."""
        try:
            self._close()
        finally:
            self.is_loaded = False

    @abstractmethod
    def _load(self) -> None: ...

    def _close(self) -> None:
        return None

    @abstractmethod
    def infer(self, x: np.ndarray) -> np.ndarray:
        """Run one batch; returns (N, 10) float32 probabilities on the host."""

    def last_device_timing(self) -> DeviceTiming | None:
        return None

    def providers(self) -> list[str]:
        """Execution providers really in use (ONNX Runtime); empty for other backends."""
        return []

    def expected_providers(self) -> list[str]:
        """Providers asked for; a difference from `providers()` means a silent fallback."""
        return []

    @property
    def model_file(self) -> Path | None:
        """The file this runner runs (None when it runs something in memory)."""
        return None

    # Compiling engines (OpenVINO) can say what their compiled graph really runs.
    def executed_precision(self) -> str | None:
        """e.g. "int8 5/7 conv+gemm"; None when the engine cannot tell."""
        return None

    def precision_warnings(self, requested: str) -> list[str]:
        """Warnings when the layers do not run in the `requested` precision."""
        return []

    def load_note(self) -> str | None:
        """How the cold start went (e.g. compiled, or imported from a cache); None: nothing to say."""
        return None

    def __enter__(self) -> Runner:
        self.load()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
