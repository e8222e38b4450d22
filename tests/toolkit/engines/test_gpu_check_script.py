"""scripts/gpu_check.py, the part a CPU can check: its models, and a whole run against the
cuda-python and TensorRT doubles (on a GPU machine the same code meets the real ones)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from support.fakes import tensorrt as fake_trt
from support.fakes.cuda_bindings import FakeCuda

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gpu_check", REPO / "scripts" / "gpu_check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("gpu_check", None)


def test_models_are_valid_and_fp16_agrees_with_fp32(script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import onnx

    files = script.build_models(tmp_path)
    assert set(files) == {"linear", "mlp", "cnn"}
    for name, by in files.items():
        x = np.random.default_rng(0).random((64, *script.input_shape(name)), dtype=np.float32)
        ref = script.cpu_reference(by["fp32"], x)
        assert ref.shape == (64, 10) and np.allclose(ref.sum(1), 1, atol=1e-5)
        for precision in ("fp16", "int8"):
            onnx.checker.check_model(onnx.load(str(by[precision])))
            ok, detail = script._compare(script.cpu_reference(by[precision], x), ref, precision)
            assert ok, f"{name} {precision}: {detail}"


def test_a_whole_run_against_the_doubles(script, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every network x precision builds (the int8 files obey TensorRT's Q/DQ rules), runs with
    graphs off/on and transfers in/out, agrees with ONNX Runtime; ort-cuda is skipped with the
    reason on this CPU-only ONNX Runtime; the summary files are written."""
    monkeypatch.setattr(script, "BATCHES", (1, 8))
    fake_trt.install(monkeypatch, fake_trt.V11, FakeCuda())
    results = script.run(tmp_path / "out")
    by = {r.check: r for r in results}
    assert by["cuda"].status == "ok", by["cuda"].detail
    trt = [r for r in results if r.check.startswith("trt ")]
    assert len(trt) == 9 and all(r.status == "ok" for r in trt), [r.detail for r in trt]
    cnn = by["trt 11.4.0.106 cnn int8"].figures
    assert cnn["graph=on,transfers=in"]["captures"] == 2  # one per batch size
    assert cnn["graph=off,transfers=in"]["captures"] == 0
    ort = [r for r in results if r.check.startswith("ort-cuda")]
    assert ort and ort[0].status == "skipped" and "CUDAExecutionProvider" in ort[0].detail
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(summary) == len(results)
    assert (tmp_path / "out" / "machine.json").exists()


def test_nothing_ran_is_a_failure(script, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    monkeypatch.setitem(sys.modules, "cuda", None)
    from mnx.toolkit.runners import cuda

    cuda.reset_cudart()
    monkeypatch.setattr(sys, "argv", ["gpu_check.py", "--out", str(tmp_path / "o")])
    assert script.main() == 1
    cuda.reset_cudart()
