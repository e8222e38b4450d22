"""Which artifact and runner a (network, backend, precision) combination uses here — or why it
cannot run here (one line a user can act on)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mnx.errors import MissingDependencyError, UnknownNameError, UsageError
from mnx.toolkit.runners.base import Runner

BACKENDS = ("keras", "ort", "ort-cuda", "trt", "openvino")
PRECISIONS = ("fp32", "fp16", "int8", "bf16")  # bf16: OpenVINO only, where the CPU has it
MAX_BATCH = 65536

ONNX_FILES = {"fp32": "model.fp32.onnx", "fp16": "model.fp16.onnx", "int8": "model.int8.onnx"}
ORT_CPU_INT8 = "model.int8.u8.onnx"  # uint8 activations: the Q/DQ form ORT's CPU kernels run fast
EXPORT_FLAG = {"fp32": "", "fp16": " --fp16", "int8": " --int8", "bf16": ""}
# OpenVINO's INT8 file: of the two Q/DQ forms, the one measured faster on an AVX-512 VNNI CPU
# (results/openvino-speed-*.md; both run as INT8 kernels there).
OPENVINO_INT8 = ORT_CPU_INT8


@dataclass(frozen=True)
class Variant:
    """A runnable combination (`make_runner` set) or a skipped one (`skipped_reason` set)."""

    network: str
    backend: str
    precision: str
    model_file: Path | None = None
    make_runner: Callable[[], Runner] | None = None
    note: str | None = None
    skipped_reason: str | None = None


def parse_backends(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return _parse(values, BACKENDS, "backend", "pass --backend with a comma-separated list")


def parse_precisions(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return _parse(values, PRECISIONS, "precision", "pass --precision with a comma-separated list")


def _parse(
    values: list[str] | tuple[str, ...], choices: tuple[str, ...], kind: str, hint: str
) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        v = v.strip().lower()
        if v not in choices:
            raise UnknownNameError(kind, v, choices, hint=hint)
        if v not in out:
            out.append(v)
    if not out:
        raise UsageError(
            f"No {kind} given", expected=f"one or more of: {', '.join(choices)}", fix=hint
        )
    return tuple(out)


def check_batch_sizes(values: list[int] | tuple[int, ...]) -> tuple[int, ...]:
    out: list[int] = []
    for b in values:
        if not 1 <= b <= MAX_BATCH:
            raise UsageError(
                f"Batch size {b} is out of range",
                expected=f"a whole number from 1 to {MAX_BATCH}",
                fix="pass e.g. --batch-sizes 1,32,256",
            )
        if b not in out:
            out.append(b)
    if not out:
        raise UsageError(
            "No batch size given", expected="e.g. 1,32,256", fix="pass --batch-sizes 1,32,256"
        )
    return tuple(out)


def resolve(
    name: str,
    backend: str,
    precision: str,
    net_dir: Path,
    *,
    threads: int | None,
    keras_mode: str = "predict_on_batch",
) -> Variant | None:
    """The variant for one combination; None when the combination does not exist at all
    (Keras runs the FP32 model only; bf16 is an OpenVINO compile setting)."""
    if precision == "bf16" and backend != "openvino":
        return None
    if backend == "openvino":
        return _openvino(name, precision, net_dir, threads)
    if backend == "keras":
        if precision != "fp32":
            return None
        from mnx.toolkit.runners.keras_runner import KerasRunner

        path = net_dir / "model.keras"
        return Variant(
            name,
            backend,
            precision,
            path,
            lambda: KerasRunner(path, mode=keras_mode),
            note=f"Keras {keras_mode}",
        )
    if backend == "ort":
        return _ort_cpu(name, precision, net_dir, threads)
    if backend == "ort-cuda":
        return _ort_cuda(name, precision, net_dir)
    return _trt(name, precision, net_dir)


def _not_exported(name: str, precision: str, filename: str) -> str:
    return f"not exported ({filename} missing): run `mnx export {name}{EXPORT_FLAG[precision]}`"


def stale_reason(net_dir: Path, filename: str) -> str | None:
    """Why `filename` must not be trusted (changed since recorded, or its source changed), else
    None. Files mnx did not record (made by hand) are taken as they are."""
    from mnx.toolkit.artifacts import artifact_record, sha256_file

    seen: set[str] = set()
    current = filename
    while current not in seen:
        seen.add(current)
        rec = artifact_record(net_dir, current)
        if rec is None:
            return None
        if rec.get("sha256") and rec["sha256"] != sha256_file(net_dir / current):
            return f"{current} changed since mnx wrote it"
        src = rec.get("source") or {}
        src_file = src.get("file")
        if not src_file:
            return None
        src_path = net_dir / src_file
        if not src_path.exists() or src.get("sha256") != sha256_file(src_path):
            return f"stale: {src_file} changed since {current} was made"
        current = src_file
    return None


def _onnx_variant(
    name: str,
    backend: str,
    precision: str,
    net_dir: Path,
    filename: str,
    factory: Callable[[Path], Runner],
    note: str | None,
) -> Variant:
    path = net_dir / filename
    if not path.is_file():
        return Variant(
            name, backend, precision, path, skipped_reason=_not_exported(name, precision, filename)
        )
    stale = stale_reason(net_dir, filename)
    if stale:
        return Variant(
            name,
            backend,
            precision,
            path,
            skipped_reason=f"{stale}: run `mnx export {name}{EXPORT_FLAG[precision]}`",
        )
    return Variant(name, backend, precision, path, lambda: factory(path), note=note)


def _ort_cpu(name: str, precision: str, net_dir: Path, threads: int | None) -> Variant:
    from mnx.toolkit.runners.ort import OrtRunner

    try:
        from mnx.toolkit.runners.ort import import_onnxruntime

        import_onnxruntime()
    except MissingDependencyError as exc:
        return Variant(name, "ort", precision, skipped_reason=exc.render())
    filename = ORT_CPU_INT8 if precision == "int8" else ONNX_FILES[precision]
    note = (
        (
            f"int8 on ORT CPU runs {ORT_CPU_INT8} (uint8 activations, the Q/DQ form ORT's CPU "
            "kernels run fast)"
        )
        if precision == "int8"
        else None
    )
    return _onnx_variant(
        name, "ort", precision, net_dir, filename, lambda p: OrtRunner(p, threads=threads), note
    )


def _openvino(name: str, precision: str, net_dir: Path, threads: int | None) -> Variant:
    """OpenVINO on the CPU: the FP32 file for fp32 and bf16 (compiled with that precision hint),
    the FP16 file, and OPENVINO_INT8 for int8; the compiled-model cache sits beside them."""
    from mnx.toolkit.runners import openvino as ov_runner

    try:
        has_bf16 = ov_runner.cpu_has_bf16()
    except MissingDependencyError as exc:
        return Variant(name, "openvino", precision, skipped_reason=exc.render())
    if precision == "bf16" and not has_bf16:
        return Variant(
            name,
            "openvino",
            precision,
            skipped_reason="this CPU has no bf16 arithmetic (AVX-512 BF16 or AMX)",
        )
    filename = (
        OPENVINO_INT8 if precision == "int8" else ONNX_FILES.get(precision, ONNX_FILES["fp32"])
    )
    hint = ov_runner.PRECISION_HINTS[precision]
    hints = " / ".join(f"{h} ({p})" for p, h in ov_runner.PRECISION_HINTS.items())
    note = (
        f"OpenVINO: PERFORMANCE_HINT={ov_runner.PERFORMANCE_HINT}, INFERENCE_PRECISION_HINT "
        f"{hints}, static shape per batch, unpinned threads"
    )
    if precision == "int8":
        note += f"; int8 runs {OPENVINO_INT8} (measured faster than the s8 TensorRT form)"

    def factory(path: Path) -> Runner:
        cache = ov_runner.cache_dir_for(path, net_dir)
        return ov_runner.OpenVinoRunner(path, threads=threads, precision_hint=hint, cache_dir=cache)

    return _onnx_variant(name, "openvino", precision, net_dir, filename, factory, note)


def _ort_cuda(name: str, precision: str, net_dir: Path) -> Variant:
    from mnx.toolkit.gpu import gpu_info, ort_cuda_status

    status = ort_cuda_status()
    if not status.available:
        return Variant(name, "ort-cuda", precision, skipped_reason=status.problem)
    if gpu_info() is None:
        return Variant(name, "ort-cuda", precision, skipped_reason="no CUDA GPU")
    from mnx.toolkit.runners.ort_cuda import OrtCudaRunner

    return _onnx_variant(
        name,
        "ort-cuda",
        precision,
        net_dir,
        ONNX_FILES[precision],
        lambda p: OrtCudaRunner(p),
        None,
    )


def _trt(name: str, precision: str, net_dir: Path) -> Variant:
    from mnx.toolkit.gpu import gpu_info, tensorrt_status

    status = tensorrt_status()
    if not status.installed:
        return Variant(
            name,
            "trt",
            precision,
            skipped_reason="TensorRT not installed (pip install 'mnx[tensorrt]')",
        )
    gpu = gpu_info()
    if gpu is None:
        return Variant(name, "trt", precision, skipped_reason="no CUDA GPU")
    from mnx.toolkit.export import tensorrt as trt_export
    from mnx.toolkit.runners.trt import TrtRunner

    engine = trt_export.engine_dir(
        net_dir, gpu, status.version or "unknown"
    ) / trt_export.engine_filename(precision, trt_export.STRONGLY_TYPED)
    stale = trt_export.engine_staleness(engine, gpu, status.version or "unknown")
    if stale is not None:
        what = (
            "no TensorRT engine for this GPU" if not engine.exists() else f"engine refused: {stale}"
        )
        return Variant(
            name,
            "trt",
            precision,
            engine,
            skipped_reason=f"{what}: run `mnx export {name}{EXPORT_FLAG[precision]} --trt`",
        )
    return Variant(name, "trt", precision, engine, lambda: TrtRunner(engine))


def gpu_name() -> str | None:
    """The CUDA GPU's model name, or None without one."""
    from mnx.toolkit.gpu import gpu_info

    info = gpu_info()
    return info.name if info is not None else None
