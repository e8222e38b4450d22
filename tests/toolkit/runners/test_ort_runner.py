"""OrtRunner on a real (tiny) ONNX model built with onnx.helper: no TensorFlow needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnx.errors import CorruptArtifactError, MissingArtifactError
from mnx.toolkit.runners.ort import OrtRunner


def tiny_linear_onnx(path: Path, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """784 -> 10 Gemm + Softmax with named input/output and a dynamic batch; returns (W, b)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.05, (784, 10)).astype(np.float32)
    b = rng.normal(0, 0.05, (10,)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["input", "W", "B"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["output"], axis=1),
        ],
        "linear",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 784])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return w, b


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_infer_matches_numpy_and_reports_cpu_provider(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    w, b = tiny_linear_onnx(path)
    x = np.random.default_rng(1).random((5, 784), dtype=np.float32)
    runner = OrtRunner(path, threads=1)
    assert runner.providers() == []  # nothing loaded before load()
    with runner as r:
        out = r.infer(x)
        assert r.providers() == ["CPUExecutionProvider"]
        assert r.session.get_session_options().intra_op_num_threads == 1
    assert out.shape == (5, 10) and out.dtype == np.float32
    np.testing.assert_allclose(out, softmax(x @ w + b), rtol=1e-5, atol=1e-6)
    assert runner.session is None  # closed


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(MissingArtifactError, match="mnx export"):
        OrtRunner(tmp_path / "nope.onnx").load()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx model")
    with pytest.raises(CorruptArtifactError, match="cannot load"):
        OrtRunner(bad).load()


def test_bad_thread_count() -> None:
    with pytest.raises(ValueError, match="threads"):
        OrtRunner("x.onnx", threads=0)
