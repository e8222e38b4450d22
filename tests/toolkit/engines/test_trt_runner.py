"""TrtRunner and the cuda helpers against the TensorRT and cuda-python doubles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mnx.errors import CorruptArtifactError, MissingDependencyError, StaleArtifactError
from mnx.toolkit.export.tensorrt import EngineOptions, build_engines
from mnx.toolkit.runners.trt import TrtRunner
from support.models import NAME, make_linear_onnx

# fp32 engine vs ONNX Runtime on the same ONNX file: same arithmetic, float32 rounding only
ATOL = 1e-6


def _ort(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(["output"], {"input": x})[0]


@pytest.fixture
def engines(trt, toy_root: Path):  # type: ignore[no-untyped-def]
    return {r.precision: r for r in build_engines(NAME, toy_root, EngineOptions(max_batch=64))}


def test_outputs_match_onnx_runtime_and_buffers_follow_batch(engines, fake_cuda, batch) -> None:  # type: ignore[no-untyped-def]
    rec = engines["fp32"]
    with TrtRunner(rec.engine_path) as runner:
        assert runner.input_shape == (-1, 784) and runner.max_batch == 64
        sizes = []
        for n in (1, 7, 32, 7, 64):
            out = runner.infer(batch[:n])
            assert out.shape == (n, 10) and out.dtype == np.float32
            np.testing.assert_allclose(out, _ort(rec.onnx_path, batch[:n]), atol=ATOL)
            sizes.append(runner.buffer_bytes())
            timing = runner.last_device_timing()
            assert timing is not None
            assert min(timing.h2d_ms, timing.compute_ms, timing.d2h_ms) >= 0  # type: ignore[type-var]
        # sized for the largest batch so far: grows 1 -> 7 -> 32, kept for 7, grows for 64
        assert [s["input"] for s in sizes] == [784 * 4 * n for n in (1, 7, 32, 32, 64)]
        assert [s["output"] for s in sizes] == [10 * 4 * n for n in (1, 7, 32, 32, 64)]
        assert fake_cuda.counters["malloc"] == 4 * 2  # 4 growths x 2 device buffers
    assert fake_cuda.device_allocs == {} and fake_cuda.host_allocs == {}  # close() freed all


def test_reduced_precision_engines_run(engines, batch) -> None:  # type: ignore[no-untyped-def]
    for precision in ("fp16", "int8"):
        rec = engines[precision]
        with TrtRunner(rec.engine_path) as runner:
            out = runner.infer(batch[:16])
        # the double runs the same ONNX model as ORT does; the tolerance only covers fp16 I/O
        np.testing.assert_allclose(out, _ort(rec.onnx_path, batch[:16]), atol=1e-3)
        assert (out.argmax(1) == _ort(engines["fp32"].onnx_path, batch[:16]).argmax(1)).mean() > 0.8


def test_cuda_graph_replays_the_enqueue(engines, trt, fake_cuda, batch) -> None:  # type: ignore[no-untyped-def]
    rec = engines["fp32"]
    with TrtRunner(rec.engine_path, use_cuda_graph=True) as runner:
        for n in (8, 8, 8, 3, 8):
            np.testing.assert_allclose(
                runner.infer(batch[:n]), _ort(rec.onnx_path, batch[:n]), atol=ATOL
            )
    assert fake_cuda.counters["capture"] == 2  # once per batch size
    assert fake_cuda.counters["graph_launch"] == 5
    # each capture is preceded by one plain enqueue (TensorRT's shape-dependent setup)
    assert trt._stats.enqueues == 2 * 2


def test_batch_outside_profile_or_wrong_shape_is_a_clear_error(engines, batch) -> None:  # type: ignore[no-untyped-def]
    from mnx.errors import UsageError

    with TrtRunner(engines["fp32"].engine_path) as runner:
        big = np.zeros((65, 784), np.float32)
        with pytest.raises(
            UsageError, match=r"Batch size 65 is outside the engine's profile \[1, 64\]"
        ):
            runner.infer(big)
        with pytest.raises(UsageError, match="shape"):
            runner.infer(np.zeros((2, 28, 28, 1), np.float32))
        assert runner.infer(batch[:2]).shape == (2, 10)  # still usable afterwards


def test_fake_context_rejects_shapes_outside_the_profile(engines, trt) -> None:  # type: ignore[no-untyped-def]
    engine = trt.Runtime(trt.Logger()).deserialize_cuda_engine(
        engines["fp32"].engine_path.read_bytes()
    )
    ctx = engine.create_execution_context()
    assert not ctx.set_input_shape("input", (65, 784))
    assert not ctx.set_input_shape("input", (4, 28, 28, 1))
    assert not ctx.set_input_shape("nope", (4, 784))
    assert ctx.set_input_shape("input", (4, 784))
    assert not ctx.execute_async_v3(0)  # no tensor addresses set: refused


def _tamper(engine_path: Path, field: str, value: str) -> None:
    net_dir = engine_path.parents[3]
    manifest = json.loads((net_dir / "manifest.json").read_text())
    key = engine_path.relative_to(net_dir).as_posix()
    manifest["artifacts"][key]["tensorrt"][field] = value
    (net_dir / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "field,value",
    [("gpu_name", "Tesla T4"), ("compute_capability", "7.5"), ("tensorrt_version", "10.0.1.6")],
)
def test_stale_engine_is_refused(engines, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    path = engines["fp32"].engine_path
    _tamper(path, field, value)
    with pytest.raises(StaleArtifactError, match=value.replace(".", r"\.")):
        TrtRunner(path).load()


def test_engine_from_changed_onnx_or_edited_file_is_refused(engines) -> None:  # type: ignore[no-untyped-def]
    rec = engines["fp32"]
    make_linear_onnx(rec.onnx_path, seed=3)
    with pytest.raises(StaleArtifactError, match="model.fp32.onnx' changed"):
        TrtRunner(rec.engine_path).load()
    with open(engines["fp16"].engine_path, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(StaleArtifactError, match="engine file changed"):
        TrtRunner(engines["fp16"].engine_path).load()


def test_engine_from_another_tensorrt_does_not_load(engines, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from support.fakes import tensorrt as fake_trt

    fake_trt.install(monkeypatch, "10.16.2.1")
    path = engines["fp32"].engine_path
    with pytest.raises(StaleArtifactError, match="TensorRT"):
        TrtRunner(path).load()
    with pytest.raises(CorruptArtifactError, match="cannot load"):  # unverified: TensorRT says no
        TrtRunner(path, verify=False).load()


def test_cuda_helpers(fake_cuda, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mnx.toolkit.runners import cuda

    buf = cuda.DeviceBuffer(16)
    stream = cuda.Stream()
    host = np.arange(4, dtype=np.float32)
    cuda.memcpy_htod_async(buf, host, stream)
    back = np.zeros(4, np.float32)
    cuda.memcpy_dtoh_async(back, buf, stream)
    stream.synchronize()
    np.testing.assert_array_equal(back, host)
    with pytest.raises(cuda.CudaError, match="Host-to-device copy of 32 bytes into a 16-byte"):
        cuda.memcpy_htod_async(buf, np.zeros(8, np.float32), stream)
    # a CUDA error code becomes a CudaError naming the error
    with pytest.raises(cuda.CudaError, match="cudaErrorInvalidValue"):
        cuda.check(fake_cuda.module.cudaFree(12345), "cudaFree")
    buf.free()
    stream.close()


def test_cuda_python_layouts_and_absence(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    from mnx.toolkit.runners import cuda
    from support.fakes.cuda_bindings import FakeCuda

    old = FakeCuda()
    old.install(monkeypatch, legacy=True)  # cuda-python < 12.6: `from cuda import cudart`
    assert cuda.load_cudart() is old.module
    cuda.reset_cudart()
    monkeypatch.setitem(sys.modules, "cuda", None)
    with pytest.raises(MissingDependencyError, match=r"mnx\[gpu-cu13\]"):
        cuda.load_cudart()
    cuda.reset_cudart()


def test_graph_capture_is_never_in_a_timed_call(engines, fake_cuda, batch) -> None:  # type: ignore[no-untyped-def]
    """Even with no warm-up asked for, the harness makes one untimed call, which captures."""
    from mnx.bench.harness import HarnessConfig, measure

    class Spy(TrtRunner):
        def infer(self, x: np.ndarray) -> np.ndarray:
            before = fake_cuda.counters["capture"]
            out = super().infer(x)
            self.calls.append(fake_cuda.counters["capture"] - before)
            return out

    runner = Spy(engines["fp32"].engine_path, use_cuda_graph=True)
    runner.calls = []  # type: ignore[attr-defined]
    with runner:
        m = measure(runner, batch[:8], HarnessConfig(duration_s=None, iterations=5, warmup_s=0))
    assert m.warmup_iterations == 1 and len(m.latencies_ns) == 5
    assert runner.calls == [1, 0, 0, 0, 0, 0]  # type: ignore[attr-defined]
    assert runner.captures == 1 and "CUDA graph: on" in runner.timed_scope


def test_excluded_transfers_keep_a_repeated_input_on_the_device(engines, fake_cuda, batch) -> None:  # type: ignore[no-untyped-def]
    rec = engines["fp32"]
    x = np.ascontiguousarray(batch[:8])
    with TrtRunner(rec.engine_path, include_transfers=False) as runner:
        assert "transfers: excluded" in runner.timed_scope
        first = runner.infer(x)
        copies = fake_cuda.counters["memcpy"]
        again = runner.infer(x)  # same array: no H2D, no D2H, same (correct) output
        assert fake_cuda.counters["memcpy"] == copies
        timing = runner.last_device_timing()
        assert timing is not None and timing.h2d_ms is None and timing.d2h_ms is None
        other = np.ascontiguousarray(batch[8:16])  # a new array is always copied
        np.testing.assert_allclose(runner.infer(other), _ort(rec.onnx_path, other), atol=ATOL)
        assert fake_cuda.counters["memcpy"] == copies + 2
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first, _ort(rec.onnx_path, x), atol=ATOL)
    with TrtRunner(rec.engine_path) as runner:
        assert (
            "transfers: included" in runner.timed_scope and "CUDA graph: off" in runner.timed_scope
        )
        runner.infer(x)
        copies = fake_cuda.counters["memcpy"]
        runner.infer(x)
        assert fake_cuda.counters["memcpy"] == copies + 2  # included: every call copies
