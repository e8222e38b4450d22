"""OpenVinoRunner on real OpenVINO (CPU) with files from the real exporter: the compiled graph's
executed precision, the model cache, threads, and the errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mnx.errors import CorruptArtifactError, MissingArtifactError
from mnx.toolkit.runners.openvino import (
    ExecutedPrecision,
    OpenVinoRunner,
    cache_dir_for,
    precision_warnings,
)

pytest.importorskip("openvino")


@pytest.fixture(scope="module")
def m31_int8(trained_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """m31_k3 exported to FP32 and both INT8 forms; returns its network directory."""
    root = tmp_path_factory.mktemp("ov") / "artifacts"
    shutil.copytree(trained_root / "m31_k3", root / "m31_k3")
    from mnx.toolkit.export.pipeline import ExportOptions, export

    export("m31_k3", ExportOptions(int8=True, trt=False, calibration_samples=200), root)
    return root / "m31_k3"


def _probe() -> np.ndarray:
    return np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)


@pytest.mark.parametrize("filename", ["model.int8.onnx", "model.int8.u8.onnx"])
def test_qdq_files_run_as_int8_and_fp32_file_as_fp32(m31_int8: Path, filename: str) -> None:
    with OpenVinoRunner(m31_int8 / filename, threads=1) as r:
        out = r.infer(_probe())
        int8 = r.executed()
        assert r.precision_warnings("int8") == []
    assert out.shape == (3, 10) and np.allclose(out.sum(axis=1), 1, atol=1e-4)
    assert int8.total >= 2 and int8.share("int8") == int8.total, int8.text()
    with OpenVinoRunner(m31_int8 / "model.fp32.onnx", precision_hint="f32") as r:
        fp32 = r.executed()
        assert r.precision_warnings("fp32") == []
    assert fp32.share("int8") == 0 and fp32.share("fp32") == fp32.total == int8.total
    assert fp32.text() == f"fp32 {fp32.total}/{fp32.total} conv+gemm"


def test_bf16_hint_changes_what_runs_and_is_reported(m31_int8: Path) -> None:
    """The trap: on a bf16 CPU an FP32 file compiled without the f32 hint runs bf16."""
    from mnx.toolkit.runners.openvino import cpu_has_bf16

    if not cpu_has_bf16():
        pytest.skip("this CPU has no bf16 arithmetic")
    with OpenVinoRunner(m31_int8 / "model.fp32.onnx", precision_hint="bf16") as r:
        ran = r.executed()
        warns = r.precision_warnings("fp32")
    assert ran.share("bf16") == ran.total > 0
    assert warns and "fp32 requested" in warns[0] and "bf16" in warns[0]


def test_int8_running_in_float_is_warned() -> None:
    half = ExecutedPrecision((("int8", 3), ("fp32", 2)), 5)
    assert half.text() == "int8 3/5, fp32 2/5 conv+gemm"
    (w,) = precision_warnings("int8", half)
    assert "runs 2 of 5 conv/gemm layers in floating point" in w
    assert precision_warnings("int8", ExecutedPrecision((("int8", 5),), 5)) == []


def test_batch_sizes_threads_and_cache(m31_int8: Path, tmp_path: Path) -> None:
    path = m31_int8 / "model.fp32.onnx"
    cache = cache_dir_for(path, tmp_path)
    x = np.random.default_rng(1).random((7, 28, 28, 1), dtype=np.float32)
    with OpenVinoRunner(path, threads=1, cache_dir=cache) as r:
        assert r.loaded_from_cache is False  # empty cache: compiled
        whole = r.infer(x)
        compiled = r._compiled[1]
        assert compiled.get_property("INFERENCE_NUM_THREADS") == 1
        assert str(compiled.get_property("PERFORMANCE_HINT")) == "LATENCY"
        assert compiled.get_property("ENABLE_CPU_PINNING") is False  # as ORT: unpinned
        assert str(compiled.get_property("INFERENCE_PRECISION_HINT")) == "<Type: 'float32'>"
        np.testing.assert_allclose(r.infer(x[:1]), whole[:1], rtol=1e-5, atol=1e-6)
    assert any(cache.glob("*.blob"))
    from mnx.toolkit.artifacts import read_json, sha256_file

    assert read_json(cache / "source.json") == {"file": path.name, "sha256": sha256_file(path)}
    assert cache.name == sha256_file(path)[:16]
    with OpenVinoRunner(path, cache_dir=cache) as r:
        assert r.loaded_from_cache is True
        assert "imported" in (r.load_note() or "")


def test_cache_of_a_replaced_file_is_dropped(m31_int8: Path, tmp_path: Path) -> None:
    net = tmp_path / "net"
    net.mkdir()
    shutil.copy(m31_int8 / "model.fp32.onnx", net / "model.fp32.onnx")
    old = cache_dir_for(net / "model.fp32.onnx", net)
    shutil.copy(m31_int8 / "model.int8.onnx", net / "model.fp32.onnx")  # new bytes, same name
    new = cache_dir_for(net / "model.fp32.onnx", net)
    assert new != old and new.is_dir() and not old.exists()


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(MissingArtifactError, match="mnx export"):
        OpenVinoRunner(tmp_path / "nope.onnx").load()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx model")
    with pytest.raises(CorruptArtifactError, match="OpenVINO cannot read"):
        OpenVinoRunner(bad).load()
    with pytest.raises(ValueError, match="threads"):
        OpenVinoRunner(bad, threads=0)
