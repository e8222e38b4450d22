"""Which artifact and runner a (network, backend, precision) combination uses here, or a typed
`Skip` saying why it cannot run here (what is wrong, and the command or install that fixes it).

Each backend has one resolver, registered with `@resolver(Backend.X)`: a new backend is one
function here (and its runner in toolkit/runners/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mnx.errors import MissingDependencyError
from mnx.toolkit.options import Backend, KerasMode, Precision, StrEnum
from mnx.toolkit.runners.base import Runner
from mnx.toolkit.runners.trt import TrtTiming

ONNX_FILES = {
    Precision.FP32: "model.fp32.onnx",
    Precision.FP16: "model.fp16.onnx",
    Precision.INT8: "model.int8.onnx",
    Precision.BF16: "model.fp32.onnx",  # OpenVINO compiles the FP32 file with a bf16 hint
}
ORT_CPU_INT8 = "model.int8.u8.onnx"  # uint8 activations: the Q/DQ form ORT's CPU kernels run fast
EXPORT_FLAG = {
    Precision.FP32: "",
    Precision.FP16: " --fp16",
    Precision.INT8: " --int8",
    Precision.BF16: "",
}
# OpenVINO's INT8 file: of the two Q/DQ forms, the one measured faster on an AVX-512 VNNI CPU
# (results/openvino-speed-*.md; both run as INT8 kernels there).
OPENVINO_INT8 = ORT_CPU_INT8


class SkipKind(StrEnum):
    """Why a combination has no measurement; `plan` and the CLI act on the kind, never on text."""

    UNAVAILABLE = "unavailable"  # the backend cannot run on this machine (package, GPU)
    NOT_EXPORTED = "not-exported"  # its file does not exist: `mnx export` makes it
    STALE = "stale"  # its file exists but is not what the current model.keras produced
    LOAD_FAILED = "load-failed"  # the runner refused the file at load or first call
    OVER_PROFILE = "over-profile"  # the batch exceeds the engine's optimization profile


@dataclass(frozen=True)
class Skip:
    kind: SkipKind
    what: str  # one line: what is missing or wrong
    fix: str | None = None  # what makes it run: a command or an install
    expected: str | None = None  # for the error raised when the user asked for this by name

    def render(self) -> str:
        return f"{self.what}: {self.fix}" if self.fix else self.what

    @property
    def fixable_by_export(self) -> bool:
        return self.kind in (SkipKind.NOT_EXPORTED, SkipKind.STALE)


@dataclass(frozen=True)
class Variant:
    """A runnable combination (`make_runner` set) or a skipped one (`skip` set)."""

    network: str
    backend: Backend
    precision: Precision
    model_file: Path | None = None
    make_runner: Callable[[], Runner] | None = None
    note: str | None = None
    skip: Skip | None = None

    @property
    def skipped_reason(self) -> str | None:
        return self.skip.render() if self.skip else None


@dataclass(frozen=True)
class Request:
    """One combination to resolve, with the options runners take."""

    network: str
    backend: Backend
    precision: Precision
    net_dir: Path
    threads: int | None = None
    keras_mode: KerasMode = KerasMode.PREDICT_ON_BATCH
    trt_timing: TrtTiming = TrtTiming()

    def skipped(self, skip: Skip, path: Path | None = None) -> Variant:
        return Variant(self.network, self.backend, self.precision, path, skip=skip)

    def runnable(self, path: Path, make: Callable[[], Runner], note: str | None = None) -> Variant:
        return Variant(self.network, self.backend, self.precision, path, make, note=note)


Resolver = Callable[[Request], "Variant | None"]
RESOLVERS: dict[Backend, Resolver] = {}


def resolver(backend: Backend) -> Callable[[Resolver], Resolver]:
    """Register the function that resolves `backend`'s combinations."""

    def register(fn: Resolver) -> Resolver:
        RESOLVERS[backend] = fn
        return fn

    return register


def resolve(request: Request) -> Variant | None:
    """The variant for one combination; None when the combination does not exist at all
    (Keras runs the FP32 model only; bf16 is an OpenVINO compile setting)."""
    if request.precision is Precision.BF16 and request.backend is not Backend.OPENVINO:
        return None
    fn = RESOLVERS.get(request.backend)
    if fn is None:
        return request.skipped(
            Skip(SkipKind.UNAVAILABLE, f"the {request.backend} backend is not part of this mnx")
        )
    return fn(request)


def _export_cmd(r: Request, extra: str = "") -> str:
    return f"run `mnx export {r.network}{EXPORT_FLAG[r.precision]}{extra}`"


def stale_reason(net_dir: Path, filename: str) -> str | None:
    """Why `filename` must not be measured (toolkit.store.verify: no record, changed, or made
    from something other than the current model), else None."""
    from mnx.toolkit.store import verify

    verdict = verify(net_dir, filename)
    return None if verdict.current else verdict.detail


def store_skip(
    name: str, net_dir: Path, filename: str, precision: Precision = Precision.FP32
) -> Skip | None:
    """Why the store does not trust `filename` (typed, with the command that fixes it), or None
    when it does: the one place bench asks whether a file may be measured."""
    from mnx.toolkit.store import verify
    from mnx.toolkit.store.verify import Reason, export_name

    verdict = verify(net_dir, filename)
    if verdict.current:
        return None
    kind = SkipKind.NOT_EXPORTED if verdict.reason is Reason.MISSING else SkipKind.STALE
    # A directory made by `mnx export FILE.keras` is remade from that file's path.
    fix = verdict.fix(export_name(net_dir, name), EXPORT_FLAG[precision])
    return Skip(kind, verdict.detail, f"run `{fix}`")


def _onnx_variant(
    r: Request, filename: str, factory: Callable[[Path], Runner], note: str | None = None
) -> Variant:
    path = r.net_dir / filename
    if not path.is_file():
        what = f"not exported ({filename} missing)"
        return r.skipped(Skip(SkipKind.NOT_EXPORTED, what, _export_cmd(r)), path)
    skip = store_skip(r.network, r.net_dir, filename, r.precision)
    if skip:
        return r.skipped(skip, path)
    return r.runnable(path, lambda: factory(path), note)


@resolver(Backend.KERAS)
def _keras(r: Request) -> Variant | None:
    if r.precision is not Precision.FP32:
        return None
    from mnx.toolkit.runners.keras_runner import KerasRunner

    path = r.net_dir / "model.keras"
    skip = store_skip(r.network, r.net_dir, path.name)
    if skip:
        return r.skipped(skip, path)
    return r.runnable(path, lambda: KerasRunner(path, mode=r.keras_mode), f"Keras {r.keras_mode}")


@resolver(Backend.ORT)
def _ort_cpu(r: Request) -> Variant:
    from mnx.toolkit.runners.ort import OrtRunner, import_onnxruntime

    try:
        import_onnxruntime()
    except MissingDependencyError as exc:
        return r.skipped(Skip(SkipKind.UNAVAILABLE, exc.what, exc.fix, exc.expected))
    if r.precision is Precision.INT8:
        note = (
            f"int8 on ORT CPU runs {ORT_CPU_INT8} (uint8 activations, the Q/DQ form ORT's CPU "
            "kernels run fast)"
        )
        return _onnx_variant(r, ORT_CPU_INT8, lambda p: OrtRunner(p, threads=r.threads), note)
    return _onnx_variant(r, ONNX_FILES[r.precision], lambda p: OrtRunner(p, threads=r.threads))


@resolver(Backend.OPENVINO)
def _openvino(r: Request) -> Variant:
    """OpenVINO on the CPU: the FP32 file for fp32 and bf16 (compiled with that precision hint),
    the FP16 file, and OPENVINO_INT8 for int8; the compiled-model cache sits beside them."""
    from mnx.toolkit.runners import openvino as ov_runner

    try:
        has_bf16 = ov_runner.cpu_has_bf16()
    except MissingDependencyError as exc:
        return r.skipped(Skip(SkipKind.UNAVAILABLE, exc.what, exc.fix, exc.expected))
    if r.precision is Precision.BF16 and not has_bf16:
        return r.skipped(
            Skip(SkipKind.UNAVAILABLE, "this CPU has no bf16 arithmetic (AVX-512 BF16 or AMX)")
        )
    filename = OPENVINO_INT8 if r.precision is Precision.INT8 else ONNX_FILES[r.precision]
    hint = ov_runner.PRECISION_HINTS[r.precision]
    hints = " / ".join(f"{h} ({p})" for p, h in ov_runner.PRECISION_HINTS.items())
    note = (
        f"OpenVINO: PERFORMANCE_HINT={ov_runner.PERFORMANCE_HINT}, INFERENCE_PRECISION_HINT "
        f"{hints}, static shape per batch, unpinned threads"
    )
    if r.precision is Precision.INT8:
        note += f"; int8 runs {OPENVINO_INT8} (measured faster than the s8 TensorRT form)"

    def factory(path: Path) -> Runner:
        cache = ov_runner.cache_dir_for(path, r.net_dir)
        return ov_runner.OpenVinoRunner(
            path, threads=r.threads, precision_hint=hint, cache_dir=cache
        )

    return _onnx_variant(r, filename, factory, note)


_NO_GPU = Skip(
    SkipKind.UNAVAILABLE,
    "no CUDA GPU",
    "run on a machine with an NVIDIA GPU (installing TensorRT or onnxruntime-gpu here would "
    "not help)",
    "an NVIDIA GPU with a working driver",
)


@resolver(Backend.ORT_CUDA)
def _ort_cuda(r: Request) -> Variant:
    from mnx.toolkit.gpu import gpu_info, ort_cuda_status

    if gpu_info() is None:
        return r.skipped(_NO_GPU)
    status = ort_cuda_status()
    if not status.available:
        what = status.problem or "ONNX Runtime has no CUDA execution provider here"
        return r.skipped(Skip(SkipKind.UNAVAILABLE, what, "pip install 'mnx[gpu]'"))
    from mnx.toolkit.runners.ort_cuda import OrtCudaRunner

    return _onnx_variant(r, ONNX_FILES[r.precision], lambda p: OrtCudaRunner(p))


@resolver(Backend.TRT)
def _trt(r: Request) -> Variant:
    from mnx.toolkit.gpu import gpu_info, tensorrt_status

    gpu = gpu_info()
    if gpu is None:
        # Checked before TensorRT: with no GPU, installing TensorRT would not help.
        return r.skipped(_NO_GPU)
    status = tensorrt_status()
    if not status.installed:
        what = "TensorRT not installed"
        return r.skipped(Skip(SkipKind.UNAVAILABLE, what, "pip install 'mnx[tensorrt]'"))
    from mnx.toolkit.export import tensorrt as trt_export
    from mnx.toolkit.runners.trt import TrtRunner

    version = status.version or "unknown"
    engine = trt_export.engine_dir(r.net_dir, gpu, version) / trt_export.engine_filename(
        r.precision, trt_export.STRONGLY_TYPED
    )
    stale = trt_export.engine_staleness(engine, gpu, version)
    if stale is not None:
        missing = stale == "it does not exist"
        what = (
            "no TensorRT engine for this GPU"
            if missing
            else f"engine refused: {stale}"  # e.g. "its last build failed: <TensorRT's text>"
        )
        kind = SkipKind.NOT_EXPORTED if missing else SkipKind.STALE
        return r.skipped(Skip(kind, what, _export_cmd(r, " --trt")), engine)
    t = r.trt_timing
    return r.runnable(
        engine,
        lambda: TrtRunner(
            engine, use_cuda_graph=t.cuda_graph, include_transfers=t.include_transfers
        ),
    )


def gpu_name() -> str | None:
    """The CUDA GPU's model name, or None without one."""
    from mnx.toolkit.gpu import gpu_info

    info = gpu_info()
    return info.name if info is not None else None
