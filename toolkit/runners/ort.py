"""ONNX Runtime runner (CPU by default): one InferenceSession, no work before `load`.

with OrtRunner("artifacts/linear/model.fp32.onnx", threads=2) as r:
    probs = r.infer(x)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import CorruptArtifactError, MissingArtifactError, MissingDependencyError
from mnx.toolkit.runners.base import INPUT_NAME, OUTPUT_NAME, Runner


def import_onnxruntime() -> Any:
    """Import onnxruntime or raise MissingDependencyError with the install command."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise MissingDependencyError(
            "ONNX Runtime is not installed",
            expected="the `onnxruntime` package (CPU) or `onnxruntime-gpu` (never both)",
            fix="pip install 'mnx[cpu]'  (or 'mnx[gpu]' on an NVIDIA machine)",
        ) from exc
    return onnxruntime


class OrtRunner(Runner):
    """Runs an ONNX model with ONNX Runtime: all graph optimizations, `threads` intra-op threads
    (None = ONNX Runtime's default, one per physical core)."""

    backend = "ort"
    timed_scope = "host: session.run (numpy in -> numpy out, CPU)"

    def __init__(
        self,
        onnx_path: str | Path,
        threads: int | None = None,
        providers: Sequence[str] = ("CPUExecutionProvider",),
    ) -> None:
        super().__init__()
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be >= 1 (or None for the default), got {threads}")
        self.path = Path(onnx_path)
        self.threads = threads
        self.requested_providers = list(providers)
        self._session: Any = None
        self._outputs = [OUTPUT_NAME]

    def _load(self) -> None:
        ort = import_onnxruntime()
        if not self.path.is_file():
            raise MissingArtifactError(
                f"ONNX model '{self.path}' does not exist",
                expected="an ONNX file written by `mnx export`",
                fix="run `mnx export NAME` first",
            )
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self.threads is not None:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # warnings such as unused initializers are noise here
        try:
            self._session = ort.InferenceSession(
                str(self.path), sess_options=opts, providers=self.requested_providers
            )
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph types
            raise CorruptArtifactError(
                f"ONNX Runtime cannot load '{self.path}' ({str(exc).splitlines()[0][:200]})",
                expected="a valid ONNX model with input 'input' and output 'output'",
                fix="delete the file and re-run `mnx export NAME`",
            ) from exc

    def infer(self, x: np.ndarray) -> np.ndarray:
        return self._session.run(self._outputs, {INPUT_NAME: x})[0]

    def providers(self) -> list[str]:
        return list(self._session.get_providers()) if self._session is not None else []

    @property
    def session(self) -> Any:
        """The underlying InferenceSession (after load)."""
        return self._session

    def _close(self) -> None:
        self._session = None

    def expected_providers(self) -> list[str]:
        return list(self.requested_providers)

    @property
    def model_file(self) -> Path:
        return self.path
