"""Which runner benches a user's ONNX file on each backend — or why it cannot here.

One entry per backend in FILE_BACKENDS: a backend added to bench.variants.BACKENDS runs model
files once it has an entry here (a runner whose `infer` takes one array for a single-input model,
or a {name: array} dict); without one its rows say so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mnx.errors import MnxError
from mnx.toolkit.runners.base import Runner

Factory = Callable[[], Runner]
Resolved = tuple[Factory | None, str | None]  # (runner factory, None) or (None, skip reason)


def _ort(path: Path, threads: int | None) -> Resolved:
    from mnx.toolkit.runners.onnx_file import OnnxFileRunner
    from mnx.toolkit.runners.ort import import_onnxruntime

    try:
        import_onnxruntime()
    except MnxError as exc:
        return None, exc.render()
    return (lambda: OnnxFileRunner(path, threads)), None


def _ort_cuda(path: Path, threads: int | None) -> Resolved:
    from mnx.toolkit.gpu import gpu_info, ort_cuda_status
    from mnx.toolkit.runners.onnx_file import OnnxFileRunner

    status = ort_cuda_status()
    if not status.available:
        return None, status.problem
    if gpu_info() is None:
        return None, "no CUDA GPU"
    return (
        lambda: OnnxFileRunner(path, None, ("CUDAExecutionProvider",), backend="ort-cuda")
    ), None


def _openvino(path: Path, threads: int | None) -> Resolved:
    import importlib.util

    from mnx.toolkit.runners.onnx_file import OpenVinoFileRunner

    if importlib.util.find_spec("openvino") is None:
        return None, "OpenVINO not installed (pip install openvino)"
    return (lambda: OpenVinoFileRunner(path, threads)), None


def _trt(path: Path, threads: int | None) -> Resolved:
    from mnx.toolkit.gpu import gpu_info

    if gpu_info() is None:
        return None, "no CUDA GPU"
    return None, "TensorRT engines from model files are not built by mnx yet (use trtexec)"


FILE_BACKENDS: dict[str, Callable[[Path, int | None], Resolved]] = {
    "ort": _ort,
    "ort-cuda": _ort_cuda,
    "openvino": _openvino,
    "trt": _trt,
}


def file_runner(backend: str, path: Path, threads: int | None) -> Resolved:
    """The runner factory for `path` on `backend`, or the reason it cannot run here."""
    resolve = FILE_BACKENDS.get(backend)
    if resolve is None:
        return None, f"backend {backend} has no runner for model files yet"
    return resolve(path, threads)
