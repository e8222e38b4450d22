"""ONNX Runtime: the one place that makes InferenceSessions (`make_session`), and the CPU runner.

with OrtRunner("artifacts/linear/model.fp32.onnx", threads=2) as r:
    probs = r.infer(x)

Threading defaults (measured by `python -m studies.ort_threads` on an idle 2-core AVX-512 VNNI
machine, results/ort_threads.md): one intra-op thread per usable core, one inter-op thread,
sequential execution, and workers that spin between calls as ONNX Runtime's own default does.
Letting them spin only during a `run` ("session.force_spinning_stop") or never made every call
pay a wake-up: cnn1 at batch 1 took 0.128 ms instead of 0.080 ms, linear at batch 256 0.063 ms
instead of 0.043 ms. Spinning does cost a busy core between calls, so on a machine shared with
other work figures move (the bench's stability warning says so); the fix there is an idle
machine, not slower defaults. `threads=1` needs no spinning at all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import Enum
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


#: ONNX Runtime's own default threading (one intra-op thread per core, spinning workers), for
#: studies that compare against it; mnx's sessions never use it.
ORT_DEFAULT = 0


class Spinning(str, Enum):
    """What ONNX Runtime's idle intra-op workers do: spin (busy-wait) always, only during a
    `run` (they stop when it returns: "session.force_spinning_stop"), or never (sleep)."""

    ON = "on"
    DURING_RUN = "run"
    OFF = "off"


#: mnx's choice (studies/ort_threads.py): sleeping workers (OFF) pay a wake-up per parallel
#: section (cnn1 batch 1 on 2 threads: 0.156 ms vs 0.119 ms); spinning only inside a run keeps
#: the fast hand-off and burns no core between calls.
DEFAULT_SPINNING = Spinning.ON


def usable_cores() -> int:
    """Cores this process may run on (affinity/cgroup-aware where the OS says)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def session_options(
    threads: int | None = None,
    *,
    spinning: Spinning = DEFAULT_SPINNING,
    optimize: bool = True,
) -> Any:
    """SessionOptions with mnx's defaults: all graph optimizations (`optimize=False`: none, so
    Q/DQ nodes run as written), `threads` intra-op threads (None = one per usable core,
    ORT_DEFAULT = ONNX Runtime's choice), sequential execution, `spinning` idle workers."""
    ort = import_onnxruntime()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if optimize
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    opts.log_severity_level = 3  # warnings such as unused initializers are noise here
    if threads == ORT_DEFAULT:
        return opts
    opts.intra_op_num_threads = threads if threads is not None else usable_cores()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    flag = "0" if spinning == Spinning.OFF else "1"
    opts.add_session_config_entry("session.intra_op.allow_spinning", flag)
    opts.add_session_config_entry("session.inter_op.allow_spinning", flag)
    if spinning == Spinning.DURING_RUN:
        opts.add_session_config_entry("session.force_spinning_stop", "1")
    return opts


def make_session(
    path: str | Path,
    threads: int | None = None,
    *,
    providers: Sequence[Any] = ("CPUExecutionProvider",),
    spinning: Spinning = DEFAULT_SPINNING,
    optimize: bool = True,
) -> Any:
    """An InferenceSession on `path` with `session_options`; ONNX Runtime's own load errors
    (a broken or foreign file) come back as CorruptArtifactError."""
    ort = import_onnxruntime()
    opts = session_options(threads, spinning=spinning, optimize=optimize)
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=list(providers))
    except Exception as exc:  # ORT raises its own Fail/InvalidGraph types
        raise CorruptArtifactError(
            f"ONNX Runtime cannot load '{path}' ({str(exc).splitlines()[0][:200]})",
            expected="a valid ONNX model with input 'input' and output 'output'",
            fix="delete the file and re-run `mnx export NAME`",
        ) from exc


class OrtRunner(Runner):
    """Runs an ONNX model with ONNX Runtime: all graph optimizations, `threads` intra-op threads
    (None = one per usable core), workers that sleep instead of spinning (`make_session`)."""

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
        import_onnxruntime()
        if not self.path.is_file():
            raise MissingArtifactError(
                f"ONNX model '{self.path}' does not exist",
                expected="an ONNX file written by `mnx export`",
                fix="run `mnx export NAME` first",
            )
        self._session = make_session(self.path, self.threads, providers=self.requested_providers)

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
