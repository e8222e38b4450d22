"""The one ONNX Runtime session factory and its threading defaults (studies/ort_threads.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnx.errors import CorruptArtifactError
from mnx.toolkit.runners.ort import (
    ORT_DEFAULT,
    OrtRunner,
    Spinning,
    make_session,
    session_options,
    usable_cores,
)

from .test_ort_runner import tiny_linear_onnx


def test_default_threads_one_per_core_sequential_spinning() -> None:
    opts = session_options()
    assert opts.intra_op_num_threads == usable_cores() >= 1
    assert opts.inter_op_num_threads == 1
    # on an idle machine, workers that stop spinning after a run (or never spin) make each call
    # pay a wake-up (results/ort_threads.md): they spin, as ONNX Runtime's own default does
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    with pytest.raises(RuntimeError, match="does not have configuration"):
        opts.get_session_config_entry("session.force_spinning_stop")
    off = session_options(spinning=Spinning.OFF)
    assert off.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_explicit_threads_and_spinning_and_ort_default() -> None:
    opts = session_options(3, spinning=Spinning.ON)
    assert opts.intra_op_num_threads == 3
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    during = session_options(2, spinning=Spinning.DURING_RUN)
    assert during.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    assert during.get_session_config_entry("session.force_spinning_stop") == "1"
    raw = session_options(ORT_DEFAULT)
    assert raw.intra_op_num_threads == 0  # ONNX Runtime decides, as without mnx
    with pytest.raises(RuntimeError, match="does not have configuration"):
        raw.get_session_config_entry("session.intra_op.allow_spinning")


def test_make_session_runs_and_optimize_off_keeps_graph(tmp_path: Path) -> None:
    import onnxruntime as ort

    path = tmp_path / "m.onnx"
    tiny_linear_onnx(path)
    x = np.ones((2, 784), np.float32)
    fast = make_session(path).run(["output"], {"input": x})[0]
    exact = make_session(path, 1, optimize=False).run(["output"], {"input": x})[0]
    assert np.allclose(fast, exact, atol=1e-6)
    assert (
        session_options(optimize=False).graph_optimization_level
    ) == ort.GraphOptimizationLevel.ORT_DISABLE_ALL


def test_runner_uses_the_factory_defaults(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    tiny_linear_onnx(path)
    with OrtRunner(path) as r:
        opts = r.session.get_session_options()
        assert opts.intra_op_num_threads == usable_cores()
        assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "1"


def test_broken_file_is_a_corrupt_artifact(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(CorruptArtifactError, match="ONNX Runtime cannot load"):
        make_session(bad)
