"""OrtCudaRunner: ONNX Runtime on the CUDA execution provider, with IOBinding.

    with OrtCudaRunner(path) as runner:
        runner.prepare(x)              # optional: upload x once; infer(x) then skips the H2D copy
        probs = runner.infer(x)
        runner.last_device_timing()    # h2d / compute / d2h, see `timed_scope`

ONNX Runtime silently falls back to CPU when the CUDA provider cannot load (no GPU, CUDA or
cuDNN libraries missing, CPU-only `onnxruntime` shadowing `onnxruntime-gpu`). This runner
checks the session's real providers and raises MissingDependencyError instead of timing CPU
runs as GPU ones.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import MissingArtifactError, MissingDependencyError
from mnx.toolkit.runners.base import INPUT_NAME, OUTPUT_NAME, DeviceTiming, Runner


class OrtCudaRunner(Runner):
    backend = "ort-cuda"
    timed_scope = (
        "host latency: H2D upload of the batch into a CUDA OrtValue (skipped when the batch was "
        "prepare()d) + run_with_iobinding (synchronous) + D2H copy_outputs_to_cpu; device times "
        "are host-clock spans around those synchronous steps, not CUDA events"
    )
    #: the provider that must come first in the session, and the OrtValue device; the CPU test
    #: subclass swaps them to exercise the IOBinding code path without a GPU
    provider = "CUDAExecutionProvider"
    device_type = "cuda"

    def __init__(
        self, onnx_path: Path | str, *, device_id: int = 0, options: dict[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.onnx_path = Path(onnx_path)
        self.device_id = device_id
        self.provider_options = {"device_id": device_id, **(options or {})}
        self._session: Any = None
        self._timing: DeviceTiming | None = None
        self._prepared: tuple[np.ndarray, Any] | None = None

    def _load(self) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise MissingDependencyError(
                f"onnxruntime is not installed ({exc})",
                fix="pip install 'mnx[gpu-cu13]' or 'mnx[gpu-cu12]' (onnxruntime-gpu; never together with onnxruntime)",
            ) from exc
        if not self.onnx_path.exists():
            raise MissingArtifactError(
                f"ONNX model '{self.onnx_path}' does not exist", fix="run `mnx export <name>` first"
            )
        self._ort = ort
        providers: list[Any] = [(self.provider, self.provider_options), "CPUExecutionProvider"]
        if self.provider == "CPUExecutionProvider":
            providers = ["CPUExecutionProvider"]
        from mnx.toolkit.runners.ort import make_session

        self._session = make_session(self.onnx_path, providers=providers)
        used = self._session.get_providers()
        if not used or used[0] != self.provider:
            self._session = None
            raise MissingDependencyError(
                f"ONNX Runtime fell back to CPU: the session runs on {used}, not {self.provider} "
                f"(onnxruntime {ort.__version__}, available: {ort.get_available_providers()})",
                expected="onnxruntime-gpu with the CUDA and cuDNN libraries it was built for",
                fix=(
                    "pip uninstall -y onnxruntime onnxruntime-gpu && pip install 'mnx[gpu-cu13]' "
                    "(never both packages); check CUDA/cuDNN with "
                    '`python -c "import onnxruntime as o; o.preload_dlls()"`'
                ),
            )
        self._binding = self._session.io_binding()

    def _close(self) -> None:
        self._session = None
        self._binding = None
        self._prepared = None

    def expected_providers(self) -> list[str]:
        return [self.provider]

    @property
    def model_file(self) -> Path:
        return self.onnx_path

    def providers(self) -> list[str]:
        return list(self._session.get_providers()) if self._session is not None else []

    def prepare(self, x: np.ndarray) -> None:
        """Upload `x` to the device once; `infer(x)` with this same array then reuses it."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        value = self._ort.OrtValue.ortvalue_from_numpy(x, self.device_type, self.device_id)
        self._prepared = (x, value)

    def infer(self, x: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter_ns()
        if self._prepared is not None and self._prepared[0] is x:
            value = self._prepared[1]
            h2d_ms: float | None = None  # uploaded by prepare(), not part of this call
        else:
            x = np.ascontiguousarray(x, dtype=np.float32)
            # ortvalue_from_numpy copies synchronously (cudaMemcpy), so the host clock covers it
            value = self._ort.OrtValue.ortvalue_from_numpy(x, self.device_type, self.device_id)
            h2d_ms = (time.perf_counter_ns() - t0) / 1e6
        binding = self._binding
        binding.bind_ortvalue_input(INPUT_NAME, value)
        binding.bind_output(OUTPUT_NAME, self.device_type, self.device_id)
        t1 = time.perf_counter_ns()
        # run_with_iobinding returns after the CUDA provider synchronized its stream
        self._session.run_with_iobinding(binding)
        t2 = time.perf_counter_ns()
        out = binding.copy_outputs_to_cpu()[0]
        t3 = time.perf_counter_ns()
        binding.clear_binding_inputs()
        binding.clear_binding_outputs()
        self._timing = DeviceTiming(
            h2d_ms=h2d_ms, compute_ms=(t2 - t1) / 1e6, d2h_ms=(t3 - t2) / 1e6
        )
        return np.asarray(out, dtype=np.float32)

    def last_device_timing(self) -> DeviceTiming | None:
        return self._timing
