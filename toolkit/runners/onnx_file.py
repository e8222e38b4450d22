"""Runners for a user's ONNX file: any input names, dtypes and outputs.

`infer(feeds)` takes a {input name: array} dict (or one array for a single-input model) and returns
the first output as a host array. The mnx runners assume the export contract (one float32
"input", one (N, 10) "output"); a foreign file keeps its own names.

    with OnnxFileRunner(path, threads=2) as r:
        y = r.infer({"images": x})
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import CorruptArtifactError, MissingDependencyError
from mnx.toolkit.runners.base import Runner
from mnx.toolkit.runners.ort import import_onnxruntime


def _feeds(names: list[str], x: Any) -> dict[str, np.ndarray]:
    return x if isinstance(x, dict) else {names[0]: x}


class OnnxFileRunner(Runner):
    """ONNX Runtime with all graph optimizations on the given providers (CPU by default)."""

    backend = "ort"
    timed_scope = "host: session.run (numpy in -> numpy out)"

    def __init__(
        self,
        path: Path,
        threads: int | None = None,
        providers: Sequence[str] = ("CPUExecutionProvider",),
        backend: str = "ort",
    ) -> None:
        super().__init__()
        self.path, self.threads, self.backend = Path(path), threads, backend
        self._requested = list(providers)
        self._session: Any = None
        self._inputs: list[str] = []

    def _load(self) -> None:
        ort = import_onnxruntime()
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self.threads is not None:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(self.path), sess_options=opts, providers=self._requested
            )
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/NotImplemented types
            raise CorruptArtifactError(
                f"ONNX Runtime cannot load '{self.path}' ({str(exc).splitlines()[0][:200]})",
                expected="an ONNX model ONNX Runtime supports (opset, operators)",
                fix="check it with `python -m onnx.checker FILE`, or bench another backend",
            ) from exc
        self._inputs = [i.name for i in self._session.get_inputs()]

    def infer(self, x: Any) -> np.ndarray:
        return self._session.run(None, _feeds(self._inputs, x))[0]

    def providers(self) -> list[str]:
        return list(self._session.get_providers()) if self._session is not None else []

    def expected_providers(self) -> list[str]:
        return list(self._requested)

    @property
    def model_file(self) -> Path | None:
        return self.path

    def _close(self) -> None:
        self._session = None


class OpenVinoFileRunner(Runner):
    """OpenVINO on CPU, compiled for latency; inputs reshaped to the first batch's shapes."""

    backend = "openvino"
    timed_scope = "host: compiled_model(inputs) (numpy in -> numpy out, CPU)"

    def __init__(self, path: Path, threads: int | None = None) -> None:
        super().__init__()
        self.path, self.threads = Path(path), threads
        self._core: Any = None
        self._model: Any = None
        self._compiled: Any = None
        self._inputs: list[str] = []
        self._shapes: dict[str, tuple[int, ...]] = {}

    def _load(self) -> None:
        try:
            import openvino as ov
        except ImportError as exc:
            raise MissingDependencyError(
                "OpenVINO is not installed",
                expected="the `openvino` package",
                fix="pip install openvino",
            ) from exc
        self._core = ov.Core()
        try:
            self._model = self._core.read_model(str(self.path))
        except Exception as exc:
            raise CorruptArtifactError(
                f"OpenVINO cannot read '{self.path}' ({str(exc).splitlines()[0][:200]})",
                expected="an ONNX model OpenVINO's frontend supports",
                fix="bench it on another backend (--backend ort)",
            ) from exc
        self._inputs = [p.get_any_name() for p in self._model.inputs]

    def _compile(self, feeds: dict[str, np.ndarray]) -> None:
        shapes = {k: tuple(v.shape) for k, v in feeds.items()}
        if self._compiled is not None and shapes == self._shapes:
            return
        self._model.reshape({k: list(s) for k, s in shapes.items()})
        # f32: on CPUs with bf16 units OpenVINO otherwise computes in bf16 by default (measured
        # here: |diff| 4e-3 on a 784->10 Gemm), which is not what an FP32 row means.
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
        if self.threads is not None:
            config["INFERENCE_NUM_THREADS"] = self.threads
        self._compiled = self._core.compile_model(self._model, "CPU", config)
        self._shapes = shapes

    def infer(self, x: Any) -> np.ndarray:
        feeds = _feeds(self._inputs, x)
        self._compile(feeds)  # a no-op after the first call at a shape: timed calls only run
        return np.asarray(self._compiled(feeds)[0])

    @property
    def model_file(self) -> Path | None:
        return self.path

    def _close(self) -> None:
        self._compiled = None
        self._core = None
