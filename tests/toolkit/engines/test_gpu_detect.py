"""mnx.toolkit.gpu (GPU / TensorRT / ORT-CUDA detection) and OrtCudaRunner on this CPU machine."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from mnx.errors import MissingDependencyError
from mnx.toolkit import gpu
from mnx.toolkit.runners.ort_cuda import OrtCudaRunner
from support.fakes import tensorrt as fake_trt
from support.fakes.cuda_bindings import FakeCuda


def test_gpu_info_from_cuda_python(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    FakeCuda(gpu_name="NVIDIA H100 80GB HBM3", compute_capability=(9, 0)).install(monkeypatch)
    info = gpu.gpu_info()
    assert info is not None
    assert (info.name, info.compute_capability, info.driver_version) == (
        "NVIDIA H100 80GB HBM3",
        "9.0",
        "12.4",
    )
    assert info.slug == "nvidia-h100-80gb-hbm3-sm90" and info.source == "cuda-python"
    assert gpu.gpu_info(1) is None  # only one device


def test_no_gpu_reads_as_none_and_require_explains(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "cuda", None)
    from mnx.toolkit.runners import cuda

    cuda.reset_cudart()
    monkeypatch.setattr(gpu.shutil, "which", lambda _: None)
    assert gpu.gpu_info() is None
    with pytest.raises(MissingDependencyError, match=r"cuda-python is not installed.*gpu-cu13"):
        gpu.require_gpu()
    cuda.reset_cudart()


def test_nvidia_smi_fallback(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    monkeypatch.setitem(sys.modules, "cuda", None)
    from mnx.toolkit.runners import cuda

    cuda.reset_cudart()
    monkeypatch.setattr(gpu.shutil, "which", lambda _: "/usr/bin/nvidia-smi")
    out = "NVIDIA A10G, 8.6, 550.54.15, 23028\n"
    monkeypatch.setattr(
        gpu.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=out)
    )
    info = gpu.gpu_info()
    assert info is not None and info.slug == "nvidia-a10g-sm86" and info.memory_mib == 23028
    cuda.reset_cudart()


@pytest.mark.parametrize("version,legacy", [(fake_trt.V10, True), (fake_trt.V11, False)])
def test_tensorrt_status_detects_features(monkeypatch, version: str, legacy: bool) -> None:  # type: ignore[no-untyped-def]
    fake_trt.install(monkeypatch, version)
    status = gpu.tensorrt_status()
    assert status.installed and status.version == version and status.problem is None
    assert status.has_legacy_calibrators is legacy
    assert status.has_fp16_flag is legacy and status.has_int8_flag is legacy
    assert status.has_strongly_typed_flag


def test_tensorrt_absent(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    status = gpu.tensorrt_status()
    assert not status.installed and "mnx[gpu-cu13]" in (status.problem or "")
    assert gpu.describe()["tensorrt"]["installed"] is False


def test_ort_cuda_status_on_a_cpu_build() -> None:
    status = gpu.ort_cuda_status()
    if status.available:
        pytest.skip("this onnxruntime has the CUDA provider")
    assert "CUDAExecutionProvider" in (status.problem or "") and "mnx[gpu-cu12]" in (
        status.problem or ""
    )
    assert gpu.ort_cuda_available() is False


# --- OrtCudaRunner -------------------------------------------------------------------------------


@pytest.fixture
def fp32_onnx(tmp_path: Path) -> Path:
    from support.models import make_linear_onnx

    return make_linear_onnx(tmp_path / "model.fp32.onnx")


def test_ort_cuda_runner_refuses_silent_cpu_fallback(fp32_onnx: Path) -> None:
    if gpu.ort_cuda_available():
        pytest.skip("the CUDA provider is present here")
    with pytest.raises(MissingDependencyError, match="fell back to CPU") as err:
        OrtCudaRunner(fp32_onnx).load()
    assert "never both" in str(err.value)


class _CpuBound(OrtCudaRunner):
    """The same IOBinding code path with OrtValues on the CPU device (no GPU here)."""

    provider = "CPUExecutionProvider"
    device_type = "cpu"


def test_iobinding_path_matches_a_plain_session(fp32_onnx: Path) -> None:
    import onnxruntime as ort

    x = np.random.default_rng(0).random((9, 784), dtype=np.float32)
    want = ort.InferenceSession(str(fp32_onnx), providers=["CPUExecutionProvider"]).run(
        ["output"], {"input": x}
    )[0]
    with _CpuBound(fp32_onnx) as runner:
        assert runner.providers()[0] == "CPUExecutionProvider"
        np.testing.assert_allclose(runner.infer(x), want, atol=1e-6)
        timing = runner.last_device_timing()
        assert timing is not None and timing.h2d_ms is not None and timing.compute_ms >= 0  # type: ignore[operator]
        runner.prepare(x)  # uploaded once: later calls with this array skip the copy
        np.testing.assert_allclose(runner.infer(x), want, atol=1e-6)
        assert runner.last_device_timing().h2d_ms is None  # type: ignore[union-attr]
        y = x[:3].copy()
        np.testing.assert_allclose(runner.infer(y), want[:3], atol=1e-6)  # another array: copied


def test_a_driver_older_than_the_cuda_runtime_fails_clearly_at_the_start(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """cuda-python 13 on an R550 driver (CUDA 12.4): require_gpu names both versions and the
    fix; gpu_info does not quietly ask nvidia-smi instead."""
    FakeCuda(driver_version=12040, runtime_version=13000).install(monkeypatch)
    monkeypatch.setattr(gpu.shutil, "which", lambda _: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(gpu.subprocess, "run", lambda *a, **k: pytest.fail("asked nvidia-smi"))
    assert gpu.gpu_info() is None
    problem = gpu.cuda_problem() or ""
    assert "supports CUDA 12.4" in problem and "CUDA 13.0 runtime" in problem
    assert "580.65.06" in problem
    with pytest.raises(MissingDependencyError, match=r"supports CUDA 12\.4.*mnx\[gpu-cu12\]"):
        gpu.require_gpu()


def test_engine_builds_stop_before_any_work_on_an_old_driver(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mnx.toolkit.export.tensorrt import build_engines
    from support.models import NAME, make_variants

    make_variants(tmp_path / NAME)
    cuda = FakeCuda(driver_version=12080, runtime_version=13000)
    fake_trt.install(monkeypatch, fake_trt.V11, cuda)
    with pytest.raises(MissingDependencyError, match="supports CUDA 12.8"):
        build_engines(NAME, tmp_path)
    assert not (tmp_path / NAME / "engines").exists()
