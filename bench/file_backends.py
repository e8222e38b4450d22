"""Which runner benches a user's ONNX file on each backend, or a typed `Skip` saying why it
cannot here.

One resolver per backend, registered with `@file_resolver(Backend.X)` (as bench.variants does
for networks): a backend runs model files once it has one here (a runner whose `infer` takes one
array for a single-input model, or a {name: array} dict); without one its rows say so. Keras has
none: it runs .keras models only, so a file on Keras is a combination that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mnx.bench.variants import Skip, SkipKind
from mnx.errors import MnxError
from mnx.toolkit.options import Backend
from mnx.toolkit.runners.base import Runner

Factory = Callable[[], Runner]
Resolved = Factory | Skip  # a runner factory, or why this backend cannot run the file here
FileResolver = Callable[[Path, "int | None"], Resolved]
FILE_BACKENDS: dict[Backend, FileResolver] = {}


def file_resolver(backend: Backend) -> Callable[[FileResolver], FileResolver]:
    def register(fn: FileResolver) -> FileResolver:
        FILE_BACKENDS[backend] = fn
        return fn

    return register


def _unavailable(exc: MnxError) -> Skip:
    return Skip(SkipKind.UNAVAILABLE, exc.what, exc.fix, exc.expected)


@file_resolver(Backend.ORT)
def _ort(path: Path, threads: int | None) -> Resolved:
    from mnx.toolkit.runners.onnx_file import OnnxFileRunner
    from mnx.toolkit.runners.ort import import_onnxruntime

    try:
        import_onnxruntime()
    except MnxError as exc:
        return _unavailable(exc)
    return lambda: OnnxFileRunner(path, threads)


_NO_GPU = Skip(
    SkipKind.UNAVAILABLE,
    "no CUDA GPU",
    "run on a machine with an NVIDIA GPU",
    "an NVIDIA GPU with a working driver",
)


@file_resolver(Backend.ORT_CUDA)
def _ort_cuda(path: Path, threads: int | None) -> Resolved:
    from mnx.toolkit.gpu import gpu_info, ort_cuda_status
    from mnx.toolkit.runners.onnx_file import OnnxFileRunner

    if gpu_info() is None:
        return _NO_GPU
    status = ort_cuda_status()
    if not status.available:
        what = status.problem or "ONNX Runtime has no CUDA execution provider here"
        return Skip(SkipKind.UNAVAILABLE, what, "pip install 'mnx[gpu]'")
    return lambda: OnnxFileRunner(path, None, ("CUDAExecutionProvider",), backend=Backend.ORT_CUDA)


@file_resolver(Backend.OPENVINO)
def _openvino(path: Path, threads: int | None) -> Resolved:
    import importlib.util

    from mnx.toolkit.runners.onnx_file import OpenVinoFileRunner

    if importlib.util.find_spec("openvino") is None:
        return Skip(SkipKind.UNAVAILABLE, "OpenVINO not installed", "pip install openvino")
    return lambda: OpenVinoFileRunner(path, threads)


@file_resolver(Backend.TRT)
def _trt(path: Path, threads: int | None) -> Resolved:
    from mnx.toolkit.gpu import gpu_info

    if gpu_info() is None:
        return _NO_GPU
    return Skip(
        SkipKind.UNAVAILABLE,
        "TensorRT engines from model files are not built by mnx yet",
        "build one with trtexec, or bench the file on another backend",
        "a backend that runs ONNX files: " + ", ".join(FILE_BACKENDS),
    )


def file_runner(backend: Backend, path: Path, threads: int | None) -> Resolved | None:
    """The runner factory for `path` on `backend`, the reason it cannot run here, or None when
    the combination does not exist (Keras)."""
    if backend is Backend.KERAS:
        return None
    resolve = FILE_BACKENDS.get(backend)
    if resolve is None:
        return Skip(SkipKind.UNAVAILABLE, f"backend {backend} has no runner for model files yet")
    return resolve(path, threads)
