"""The same checks as tests/toolkit/engines, against real TensorRT, CUDA and onnxruntime-gpu.

Run with `MNX_REQUIRE_GPU=1 pytest -m "gpu or tensorrt" tests/gpu` (tox -e gpu). Without a GPU
they skip with the reason; with MNX_REQUIRE_GPU=1 a skip is a failure (tests/gpu/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.gpu]

NAME = "linear"


def _models(root: Path) -> Path:
    """fp32/fp16/int8 ONNX for `linear` in `root` (toolkit.export on the trained copy)."""
    from mnx.toolkit.export.pipeline import ExportOptions, export

    export(NAME, ExportOptions(fp16=True, int8=True, calibration_samples=200, trt=False), root)
    return root / NAME


def _x(n: int) -> np.ndarray:
    from mnx import architectures
    from mnx.toolkit.data import load_mnist, preprocess

    net = architectures.get(NAME)
    return preprocess(load_mnist().x_test[:n], net.recipe.preprocessing, net.layout)


@pytest.mark.tensorrt
def test_engines_build_and_match_onnx_runtime(tensorrt_module, gpu, copy_trained: Path) -> None:  # type: ignore[no-untyped-def]
    import onnxruntime as ort

    from mnx.toolkit.export.tensorrt import EngineOptions, build_engines
    from mnx.toolkit.runners.trt import TrtRunner

    net_dir = _models(copy_trained)
    records = build_engines(NAME, copy_trained, EngineOptions(max_batch=64))
    assert {r.precision for r in records} == {"fp32", "fp16", "int8"}
    assert [r.error for r in records] == [None] * 3  # a failed build is a record, not a raise
    assert all(r.gpu_name == gpu.name for r in records)
    x = _x(64)
    ref = ort.InferenceSession(
        str(net_dir / "model.fp32.onnx"), providers=["CPUExecutionProvider"]
    ).run(["output"], {"input": x})[0]
    for r in records:
        for graph, transfers in ((False, True), (True, True), (True, False)):
            with TrtRunner(
                r.engine_path, use_cuda_graph=graph, include_transfers=transfers
            ) as runner:
                for n in (1, 17, 64):
                    out = runner.infer(x[:n])
                    # fp32 may use TF32 kernels; fp16/int8 are judged on top-1 agreement
                    if r.precision == "fp32":
                        np.testing.assert_allclose(out, ref[:n], atol=2e-3)
                    assert (out.argmax(1) == ref[:n].argmax(1)).mean() >= 0.95
                timing = runner.last_device_timing()
                assert timing is not None and timing.compute_ms > 0  # type: ignore[operator]
    again = build_engines(NAME, copy_trained, EngineOptions(max_batch=64))
    assert all(r.reused for r in again)


@pytest.mark.tensorrt
def test_builder_flags_route_matches_the_installed_tensorrt(
    tensorrt_module,
    gpu,  # type: ignore[no-untyped-def]
    copy_trained: Path,
) -> None:
    from mnx.errors import UsageError
    from mnx.toolkit.export.tensorrt import EngineOptions, build_engines

    _models(copy_trained)
    opts = EngineOptions(
        route="builder-flags", calibration_images=256, calibration_batch=32, max_batch=64
    )
    if hasattr(tensorrt_module.BuilderFlag, "FP16"):
        records = build_engines(NAME, copy_trained, opts)
        assert [r.error for r in records] == [None] * 3
    else:
        with pytest.raises(UsageError, match="strongly-typed"):
            build_engines(NAME, copy_trained, opts)


def test_ort_cuda_runner_runs_on_the_gpu(gpu, copy_trained: Path) -> None:  # type: ignore[no-untyped-def]
    from mnx.toolkit.gpu import ort_cuda_status
    from mnx.toolkit.runners.ort_cuda import OrtCudaRunner

    status = ort_cuda_status()
    if not status.available:
        pytest.skip(status.problem or "no CUDA provider")
    net_dir = _models(copy_trained)
    with OrtCudaRunner(net_dir / "model.fp32.onnx") as runner:
        assert runner.providers()[0] == "CUDAExecutionProvider"
        out = runner.infer(_x(32))
        assert out.shape == (32, 10)
        np.testing.assert_allclose(out.sum(1), 1.0, atol=1e-4)


def test_cuda_graph_and_copies_round_trip(gpu) -> None:  # type: ignore[no-untyped-def]
    from mnx.toolkit.runners import cuda

    try:
        cuda.load_cudart()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"cuda-python not usable: {exc}")
    a, b = cuda.DeviceBuffer(4096), cuda.PinnedBuffer((1024,), np.float32)
    stream, start, end = cuda.Stream(), cuda.Event(), cuda.Event()
    host = np.arange(1024, dtype=np.float32)
    start.record(stream)
    cuda.memcpy_htod_async(a, host, stream)
    cuda.memcpy_dtoh_async(b.array, a, stream)
    end.record(stream)
    stream.synchronize()
    np.testing.assert_array_equal(b.array, host)
    assert end.elapsed_ms(start) >= 0
    for obj in (a, b):
        obj.free()
    for ev in (start, end):
        ev.close()
    stream.close()
