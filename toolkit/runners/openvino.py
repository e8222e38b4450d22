"""OpenVINO runner (CPU): compiles an ONNX file (FP32, FP16 or Q/DQ INT8) and runs it.

with OpenVinoRunner("artifacts/cnn1/model.int8.u8.onnx", threads=2) as r:
    probs = r.infer(x)
    print(r.executed_precision())      # e.g. "int8 5/5 conv+gemm", read from the compiled graph

Settings, as OpenVINO's benchmark_app would use for batch-1 latency (docs/openvino.md):
- PERFORMANCE_HINT=LATENCY: one stream, every thread on the one request in flight. The harness
  times synchronous calls, one in flight, so THROUGHPUT's extra streams would sit idle (measured
  on cnn1 INT8 batch 256: LATENCY 8.3 ms, THROUGHPUT 12.1 ms per call).
- INFERENCE_PRECISION_HINT given explicitly: without it a CPU with AVX-512 BF16 or AMX runs an
  FP32 file's convolutions and matrix products in bf16 (checked on cnn1).
- A static input shape per batch size (`model.reshape`), compiled on first use: batch 1 of cnn1
  INT8 took 79 us static vs 135 us with a dynamic batch dimension.
- INFERENCE_NUM_THREADS = `threads` (None: OpenVINO's default).
- ENABLE_CPU_PINNING=False unless `pin_threads`: ONNX Runtime does not pin its threads either, and
  on a shared 2-core machine pinned threads waited on busy cores (cnn1 FP32 batch 1, median of 7
  interleaved rounds: 203 us pinned, 147 us not; INT8 81 vs 76 us). Recheck on a quiet machine.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import CorruptArtifactError, MissingArtifactError, MissingDependencyError
from mnx.toolkit.runners.base import Runner

# INFERENCE_PRECISION_HINT per mnx precision. INT8 files keep f32 for the float parts between
# Q/DQ pairs (bf16 there was no faster on cnn1 and would change the numbers); FP16 asks for f16,
# which OpenVINO runs as bf16 or f32 on CPUs without FP16 arithmetic (executed_precision says).
PRECISION_HINTS = {"fp32": "f32", "fp16": "f16", "int8": "f32", "bf16": "bf16"}
PERFORMANCE_HINT = "LATENCY"
CACHE_FOLDER = "openvino_cache"  # under the network's artifacts directory, one folder per sha256
# Layer types of the CPU plugin's runtime graph that do the multiply-accumulate work.
COMPUTE_LAYERS = frozenset({"Convolution", "Deconvolution", "FullyConnected", "MatMul", "Gemm"})
# Operation types of the model as read (before compilation) that do the multiply-accumulate work;
# ONNX Conv and Gemm/MatMul read as these.
COMPUTE_OPS = frozenset(
    {
        "Convolution",
        "GroupConvolution",
        "ConvolutionBackpropData",
        "GroupConvolutionBackpropData",
        "MatMul",
    }
)
_PRECISION_NAMES = {"u8": "int8", "i8": "int8", "bf16": "bf16", "f16": "fp16", "f32": "fp32"}


def import_openvino() -> Any:
    """Import openvino or raise MissingDependencyError with the install command."""
    try:
        import openvino
    except ImportError as exc:
        raise MissingDependencyError(
            "OpenVINO is not installed",
            expected="the `openvino` package (CPU inference engine) for --backend openvino",
            fix="pip install 'mnx[cpu]'  (or pip install openvino)",
        ) from exc
    return openvino


@dataclass(frozen=True)
class ExecutedPrecision:
    """How many conv/matrix-product layers of the compiled graph run in each precision."""

    counts: tuple[tuple[str, int], ...]  # ("int8", 5), ... most layers first
    total: int

    def share(self, precision: str) -> int:
        return dict(self.counts).get(precision, 0)

    def text(self) -> str:
        """`int8 5/5 conv+gemm`, or `int8 3/5, fp32 2/5 conv+gemm`."""
        if not self.total:
            return "no conv/gemm layers"
        parts = ", ".join(f"{p} {n}/{self.total}" for p, n in self.counts)
        return f"{parts} conv+gemm"


def executed_precision(compiled: Any, model: Any) -> ExecutedPrecision:
    """Count `model`'s conv/matmul operations by the precision the compiled graph runs them in.

    Read from `compiled.get_runtime_model()`: each layer's rt_info gives its `layerType` and
    `runtimePrecision`. A Convolution/FullyConnected/MatMul layer counts once (a fused MatMul+Add
    keeps only the Add's name, so layers are not matched to operations by name); a `Subgraph`
    layer (the CPU plugin fuses e.g. the dense layers of cnn1 into one with a single thread)
    counts the model's conv/matmul operations listed in its `originalLayersNames`. Operations
    not found that way are counted as "unknown"."""
    wanted = {
        op.get_friendly_name()
        for op in model.get_ordered_ops()
        if op.get_type_name() in COMPUTE_OPS
    }
    seen: Counter[str] = Counter()
    for layer in compiled.get_runtime_model().get_ordered_ops():
        info = layer.get_rt_info()
        kind = str(info["layerType"].astype(str))
        raw = str(info["runtimePrecision"].astype(str))
        if kind in COMPUTE_LAYERS:
            n = 1
        elif kind == "Subgraph":
            n = len(wanted & set(str(info["originalLayersNames"].astype(str)).split(",")))
        else:
            continue
        if n:
            seen[_PRECISION_NAMES.get(raw, raw)] += n
    counted = sum(seen.values())
    if counted < len(wanted):
        seen["unknown"] = len(wanted) - counted
    return ExecutedPrecision(tuple(seen.most_common()), max(counted, len(wanted)))


def precision_warnings(requested: str, executed: ExecutedPrecision) -> list[str]:
    """Warnings for layers that did not run in the requested precision (INT8 in FP32 is the
    silent failure TensorRT users report; an FP32 row must not be bf16)."""
    off = executed.total - executed.share(requested)
    if not executed.total or not off:
        return []
    if requested == "int8":
        return [
            f"INT8 file runs {off} of {executed.total} conv/gemm layers in floating point "
            f"({executed.text()}): those are not quantized kernels"
        ]
    if requested == "fp16":
        return [f"this CPU has no FP16 arithmetic: OpenVINO ran the fp16 file as {executed.text()}"]
    return [f"{requested} requested, but the compiled model runs {executed.text()}"]


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when OpenVINO's CPU plugin can run bf16 (AVX-512 BF16 or AMX)."""
    ov = import_openvino()
    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def cache_dir_for(onnx_path: Path, net_dir: Path) -> Path:
    """The compiled-model cache folder of one ONNX file: `<net_dir>/openvino_cache/<sha256[:16]>`,
    with a source.json recording the file and its full sha256. Folders of earlier versions of the
    same file are removed (their blobs can never be used again)."""
    from mnx.toolkit.artifacts import ensure_dir, read_json, sha256_file, write_json_atomic

    sha = sha256_file(onnx_path)
    base = net_dir / CACHE_FOLDER
    folder = base / sha[:16]
    if base.is_dir():
        import shutil

        for other in base.iterdir():
            src = other / "source.json"
            if other != folder and src.is_file() and read_json(src).get("file") == onnx_path.name:
                shutil.rmtree(other, ignore_errors=True)
    ensure_dir(folder)
    if not (folder / "source.json").is_file():
        write_json_atomic(folder / "source.json", {"file": onnx_path.name, "sha256": sha})
    return folder


class OpenVinoRunner(Runner):
    """Runs an ONNX model with OpenVINO on the CPU, one compiled model per batch size."""

    backend = "openvino"
    timed_scope = "host: InferRequest.infer (numpy in, shared Tensor; numpy out, copied; CPU)"

    def __init__(
        self,
        onnx_path: str | Path,
        threads: int | None = None,
        precision_hint: str = "f32",
        cache_dir: Path | None = None,
        pin_threads: bool = False,
    ) -> None:
        super().__init__()
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be >= 1 (or None for the default), got {threads}")
        self.path = Path(onnx_path)
        self.threads = threads
        self.precision_hint = precision_hint
        self.cache_dir = cache_dir
        self.pin_threads = pin_threads
        self.loaded_from_cache: bool | None = None  # None: no cache in use
        self._core: Any = None
        self._model: Any = None
        self._requests: dict[int, Any] = {}
        self._compiled: dict[int, Any] = {}
        self._tensor: Any = None

    def config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "PERFORMANCE_HINT": PERFORMANCE_HINT,
            "INFERENCE_PRECISION_HINT": self.precision_hint,
        }
        if self.threads is not None:
            cfg["INFERENCE_NUM_THREADS"] = self.threads
        if not self.pin_threads:
            cfg["ENABLE_CPU_PINNING"] = False
        if self.cache_dir is not None:
            cfg["CACHE_DIR"] = str(self.cache_dir)
        return cfg

    def _load(self) -> None:
        """Read the ONNX file and compile it for batch 1 (or import it from the cache)."""
        ov = import_openvino()
        if not self.path.is_file():
            raise MissingArtifactError(
                f"ONNX model '{self.path}' does not exist",
                expected="an ONNX file written by `mnx export`",
                fix="run `mnx export NAME` first",
            )
        self._core = ov.Core()
        self._tensor = ov.Tensor
        try:
            self._model = self._core.read_model(str(self.path))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses of its own
            raise CorruptArtifactError(
                f"OpenVINO cannot read '{self.path}' ({str(exc).splitlines()[0][:200]})",
                expected="a valid ONNX model with input 'input' and output 'output'",
                fix="delete the file and re-run `mnx export NAME`",
            ) from exc
        blobs = self._blobs()
        self._compile(1)
        if self.cache_dir is not None:
            self.loaded_from_cache = bool(blobs) and self._blobs() == blobs

    def _blobs(self) -> set[str]:
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return set()
        return {p.name for p in self.cache_dir.glob("*.blob")}

    def _reshaped(self, batch: int) -> Any:
        model = self._model.clone()
        shape = model.input(0).get_partial_shape()
        shape[0] = batch
        model.reshape({model.input(0): shape})
        return model

    def _compile(self, batch: int) -> Any:
        compiled = self._core.compile_model(self._reshaped(batch), "CPU", self.config())
        self._compiled[batch] = compiled
        request = self._requests[batch] = compiled.create_infer_request()
        return request

    def infer(self, x: np.ndarray) -> np.ndarray:
        # A shared-memory input Tensor and a copied output: `request.infer({0: x})` builds a
        # dict and an OVDict per call, ~25 us more per batch-1 call of cnn1 (84 vs 111 us).
        request = self._requests.get(len(x)) or self._compile(len(x))
        x = np.ascontiguousarray(x, dtype=np.float32)  # no copy for the harness's batches
        request.set_input_tensor(self._tensor(x, shared_memory=True))
        request.infer()
        return request.get_output_tensor(0).data.copy()

    def executed(self) -> ExecutedPrecision:
        """What the batch-1 compiled model really runs (after load). A model imported from the
        cache names only one fused operation per `Subgraph` layer (seen with m31_k3's dense
        layers); then a fresh compile, without the cache, is what gets counted."""
        counted = executed_precision(self._compiled[1], self._model)
        if counted.share("unknown") and self.loaded_from_cache:
            model = self._reshaped(1)
            config = {k: v for k, v in self.config().items() if k != "CACHE_DIR"}
            counted = executed_precision(self._core.compile_model(model, "CPU", config), model)
        return counted

    @property
    def model_file(self) -> Path:
        return self.path

    def executed_precision(self) -> str:
        return self.executed().text()

    def precision_warnings(self, requested: str) -> list[str]:
        return precision_warnings(requested, self.executed())

    def load_note(self) -> str | None:
        """Whether the cold start compiled or imported the model from the cache."""
        if self.loaded_from_cache is None:
            return None
        if self.loaded_from_cache:
            return f"cold start imported from {CACHE_FOLDER}/"
        return f"cold start compiled (then cached in {CACHE_FOLDER}/)"

    def _close(self) -> None:
        self._requests.clear()
        self._compiled.clear()
        self._model = None
        self._core = None
