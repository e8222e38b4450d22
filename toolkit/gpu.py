"""What GPU stack this machine has: NVIDIA GPU, TensorRT, ONNX Runtime's CUDA provider.

Nothing here imports an optional package at module import time, and nothing raises when a
package is missing: `gpu_info()` returns None, the `*_status()` functions return a record whose
`problem` says what is missing and how to install it. `require_*` turn that into a
MissingDependencyError for code that cannot go on without it.

TensorRT features are detected, never inferred from version strings (TensorRT 11 removed
BuilderFlag.FP16/INT8 and the INT8 calibrators; see docs/tensorrt/notes.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

from mnx.errors import MissingDependencyError

# Two coherent sets (pyproject extras): TensorRT 10 + CUDA 12 + cuda-python 12 (driver R525+),
# or TensorRT 11 + CUDA 13 + cuda-python 13 (driver R580+). `gpu` / `tensorrt` = gpu-cu13.
GPU_EXTRA = "pip install 'mnx[gpu-cu13]' (driver R580+) or 'mnx[gpu-cu12]' (driver R525+)"
TRT_EXTRA = GPU_EXTRA
# The oldest Linux driver each CUDA major runs on (CUDA toolkit release notes, table 3:
# "minimum required driver version for CUDA minor version compatibility").
MIN_DRIVER = {12: "525.60.13", 13: "580.65.06"}
CUDA_ERROR_INSUFFICIENT_DRIVER = 35


@dataclass(frozen=True)
class GpuInfo:
    """One NVIDIA GPU as CUDA reports it."""

    name: str
    compute_capability: str  # "major.minor", e.g. "9.0"
    driver_version: str | None
    memory_mib: int | None
    index: int
    source: str  # "cuda-python" or "nvidia-smi"

    @property
    def slug(self) -> str:
        """A directory-safe id, e.g. 'nvidia-h100-80gb-hbm3-sm90'. Engines are only valid on the
        GPU model (and compute capability) they were built for, so they are filed under it."""
        base = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "gpu"
        return f"{base}-sm{self.compute_capability.replace('.', '')}"


@dataclass(frozen=True)
class TensorRTStatus:
    """Whether TensorRT's Python bindings import, and which optional APIs they have."""

    installed: bool
    version: str | None
    has_legacy_calibrators: bool  # IInt8EntropyCalibrator2 / IInt8MinMaxCalibrator (<= 10.x)
    has_fp16_flag: bool  # BuilderFlag.FP16 (<= 10.x)
    has_int8_flag: bool  # BuilderFlag.INT8 (<= 10.x)
    has_strongly_typed_flag: bool  # NetworkDefinitionCreationFlag.STRONGLY_TYPED (>= 9.x)
    problem: str | None  # why it is unusable, None when installed


@dataclass(frozen=True)
class OrtCudaStatus:
    available: bool
    version: str | None
    providers: tuple[str, ...]
    problem: str | None


# --- GPU --------------------------------------------------------------------------------------


def gpu_info(index: int = 0) -> GpuInfo | None:
    """The GPU at `index` via cuda-python; None when there is none or CUDA cannot use it
    (`cuda_problem()` says why). Only without cuda-python at all does it ask nvidia-smi, and the
    record then says so (source "nvidia-smi"): enough to describe the machine, not to run on it."""
    if _cudart_or_none() is None:
        return _gpu_info_smi(index)
    if cuda_problem() is not None:
        return None
    return _gpu_info_cuda(index)


def require_gpu(index: int = 0) -> GpuInfo:
    """The GPU CUDA will run on, or MissingDependencyError saying what is wrong and the fix:
    no cuda-python, a driver older than its CUDA runtime, or no GPU. Call it before any work."""
    if _cudart_or_none() is None:
        from mnx.toolkit.runners.cuda import load_cudart

        load_cudart()  # raises the missing-cuda-python error
    problem = cuda_problem()
    if problem is not None:
        raise MissingDependencyError(
            problem,
            expected="a driver at least as new as the CUDA runtime mnx's packages were built for",
            fix=f"update the NVIDIA driver, or install the set your driver runs: {GPU_EXTRA}",
        )
    info = _gpu_info_cuda(index)
    if info is None:
        raise MissingDependencyError(
            f"No NVIDIA GPU found (device {index})",
            expected="an NVIDIA GPU with a working driver",
            fix=f"run on a machine with an NVIDIA GPU; for the CUDA bindings: {GPU_EXTRA}",
        )
    return info


def _cudart_or_none() -> Any:
    from mnx.toolkit.runners.cuda import load_cudart

    try:
        return load_cudart()
    except MissingDependencyError:
        return None


def cuda_versions() -> tuple[int | None, int | None]:
    """(CUDA version the driver supports, CUDA runtime version cuda-python uses), e.g. 12040."""
    cudart = _cudart_or_none()
    if cudart is None:
        return None, None
    out: list[int | None] = []
    for call in ("cudaDriverGetVersion", "cudaRuntimeGetVersion"):
        try:
            err, value = getattr(cudart, call)()
            out.append(int(value) if int(err) == 0 and int(value) > 0 else None)
        except Exception:  # noqa: BLE001 - an old or broken binding reads as unknown
            out.append(None)
    return out[0], out[1]


def _cuda_str(version: int | None) -> str:
    return "none" if version is None else f"{version // 1000}.{version % 1000 // 10}"


def cuda_problem() -> str | None:
    """Why CUDA cannot run here although cuda-python is installed; None when it can (or when
    cuda-python is absent: require_gpu reports that). Never raises."""
    driver, runtime = cuda_versions()
    if runtime is not None and (driver is None or driver // 1000 < runtime // 1000):
        need = MIN_DRIVER.get(runtime // 1000, "newer")
        return (
            f"The NVIDIA driver supports CUDA {_cuda_str(driver)}, but cuda-python here uses the "
            f"CUDA {_cuda_str(runtime)} runtime, which needs driver {need} or newer"
        )
    cudart = _cudart_or_none()
    try:
        err, _count = cudart.cudaGetDeviceCount()
    except Exception as exc:  # noqa: BLE001 - a broken driver install
        return f"CUDA cannot count devices ({type(exc).__name__}: {exc})"
    if int(err) == CUDA_ERROR_INSUFFICIENT_DRIVER:
        return (
            f"cudaErrorInsufficientDriver: the NVIDIA driver (CUDA {_cuda_str(driver)}) is older "
            f"than the CUDA runtime cuda-python uses (CUDA {_cuda_str(runtime)})"
        )
    return None


def _gpu_info_cuda(index: int) -> GpuInfo | None:
    cudart = _cudart_or_none()
    if cudart is None:
        return None
    try:
        err, count = cudart.cudaGetDeviceCount()
        if int(err) != 0 or count <= index:
            return None
        err, prop = cudart.cudaGetDeviceProperties(index)
        if int(err) != 0:
            return None
        err, driver = cudart.cudaDriverGetVersion()
        driver_s = f"{driver // 1000}.{driver % 1000 // 10}" if int(err) == 0 else None
    except Exception:  # a broken driver must read as "no GPU", not crash `mnx list`
        return None
    name = prop.name
    if isinstance(name, bytes | bytearray):
        name = bytes(name).split(b"\0", 1)[0].decode("utf-8", "replace")
    return GpuInfo(
        name=str(name).strip(),
        compute_capability=f"{prop.major}.{prop.minor}",
        driver_version=driver_s,  # the CUDA version the driver supports, e.g. "12.4"
        memory_mib=int(prop.totalGlobalMem) // (1 << 20),
        index=index,
        source="cuda-python",
    )


def _gpu_info_smi(index: int) -> GpuInfo | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    query = "name,compute_cap,driver_version,memory.total"
    try:
        out = subprocess.run(
            [exe, f"--query-gpu={query}", "--format=csv,noheader,nounits", f"--id={index}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    fields = [f.strip() for f in out.strip().splitlines()[0].split(",")] if out.strip() else []
    if len(fields) != 4:
        return None
    name, cc, driver, mem = fields
    return GpuInfo(
        name=name,
        compute_capability=cc,
        driver_version=driver or None,
        memory_mib=int(float(mem)) if mem.replace(".", "").isdigit() else None,
        index=index,
        source="nvidia-smi",
    )


# --- TensorRT ---------------------------------------------------------------------------------


def load_tensorrt() -> ModuleType:
    """Import TensorRT's Python bindings, or raise MissingDependencyError with the fix."""
    try:
        import tensorrt
    except ImportError as exc:
        raise MissingDependencyError(
            f"TensorRT's Python bindings are not installed ({exc})",
            expected="the `tensorrt` package (TensorRT 10 or 11) and an NVIDIA GPU",
            fix=(
                f"{TRT_EXTRA} on a machine with an NVIDIA GPU; the PyPI package downloads "
                "NVIDIA's wheels from NVIDIA's own package index at install time, so it must be "
                "reachable"
            ),
        ) from exc
    if not hasattr(tensorrt, "Builder"):
        # e.g. a folder named tensorrt/ on sys.path imports as an empty namespace package
        raise MissingDependencyError(
            f"The 'tensorrt' module found at {_location(tensorrt)} is not TensorRT's Python bindings",
            expected="the `tensorrt` package (TensorRT 10 or 11) and an NVIDIA GPU",
            fix=f"remove or rename what shadows it, then {TRT_EXTRA}",
        )
    return tensorrt


def _location(module: ModuleType) -> str:
    return str(getattr(module, "__file__", None) or list(getattr(module, "__path__", [])))


def tensorrt_status() -> TensorRTStatus:
    """Is TensorRT importable, which version, which optional APIs. Never raises."""
    try:
        trt = load_tensorrt()
    except MissingDependencyError as exc:
        return TensorRTStatus(False, None, False, False, False, False, exc.render())
    return tensorrt_features(trt)


def tensorrt_features(trt: Any) -> TensorRTStatus:
    builder_flag = getattr(trt, "BuilderFlag", None)
    creation_flag = getattr(trt, "NetworkDefinitionCreationFlag", None)
    return TensorRTStatus(
        installed=True,
        version=str(getattr(trt, "__version__", "unknown")),
        has_legacy_calibrators=hasattr(trt, "IInt8EntropyCalibrator2")
        and hasattr(trt, "IInt8MinMaxCalibrator"),
        has_fp16_flag=hasattr(builder_flag, "FP16"),
        has_int8_flag=hasattr(builder_flag, "INT8"),
        has_strongly_typed_flag=hasattr(creation_flag, "STRONGLY_TYPED"),
        problem=None,
    )


# --- ONNX Runtime CUDA ------------------------------------------------------------------------


def _installed(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def ort_cuda_status() -> OrtCudaStatus:
    """Whether this ONNX Runtime build offers the CUDA execution provider. Never raises.

    Offered is not usable: the provider loads CUDA/cuDNN only when a session is created, and ONNX
    Runtime then falls back to CPU with a warning. OrtCudaRunner checks the session's providers.
    """
    try:
        import onnxruntime as ort
    except ImportError as exc:
        return OrtCudaStatus(False, None, (), f"onnxruntime is not installed ({exc}); {GPU_EXTRA}")
    providers = tuple(ort.get_available_providers())
    version = str(ort.__version__)
    if "CUDAExecutionProvider" in providers:
        return OrtCudaStatus(True, version, providers, None)
    problem = f"onnxruntime {version} has no CUDAExecutionProvider (providers: {list(providers)})"
    if _installed("onnxruntime") and _installed("onnxruntime-gpu"):
        problem += (
            "; both `onnxruntime` and `onnxruntime-gpu` are installed and the CPU one shadows the "
            "GPU one: pip uninstall -y onnxruntime onnxruntime-gpu && " + GPU_EXTRA
        )
    else:
        problem += f"; {GPU_EXTRA} (installs onnxruntime-gpu; uninstall `onnxruntime` first)"
    return OrtCudaStatus(False, version, providers, problem)


def ort_cuda_available() -> bool:
    return ort_cuda_status().available


def describe() -> dict[str, Any]:
    """A JSON-able summary for `mnx doctor`-style output and results provenance."""
    gpu = gpu_info()
    trt_status = tensorrt_status()
    ort = ort_cuda_status()
    return {
        "gpu": None if gpu is None else {**gpu.__dict__, "slug": gpu.slug},
        "tensorrt": trt_status.__dict__,
        "onnxruntime_cuda": {**ort.__dict__, "providers": list(ort.providers)},
    }
