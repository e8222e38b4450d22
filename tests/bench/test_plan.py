"""bench.plan and the measuring step's refusals: errors before any work, typed skip reasons,
and a hand-placed ONNX of another shape or output name skipped with a message, not a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mnx.bench.records import BenchConfig
from mnx.bench.variants import SkipKind
from mnx.errors import MissingArtifactError, MissingDependencyError, UnknownNameError, UsageError
from mnx.toolkit.options import Backend, Precision


def _config(**kw):  # type: ignore[no-untyped-def]
    return BenchConfig(**{"networks": ("linear",), **kw})


def _no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import mnx.toolkit.gpu

    monkeypatch.setattr(mnx.toolkit.gpu, "gpu_info", lambda index=0: None)


def test_default_backends_plan_typed_skips(
    bench_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mnx.bench.plan import make_plan

    _no_gpu(monkeypatch)
    plan = make_plan(_config(precisions=("fp32", "fp16")), bench_root)
    kinds = {(v.backend, v.precision): v.skip.kind if v.skip else None for v in plan.variants}
    assert kinds[(Backend.ORT, Precision.FP32)] is None
    assert kinds[(Backend.ORT, Precision.FP16)] is SkipKind.NOT_EXPORTED
    assert kinds[(Backend.TRT, Precision.FP32)] is SkipKind.UNAVAILABLE
    assert kinds[(Backend.ORT_CUDA, Precision.FP16)] is SkipKind.UNAVAILABLE
    assert (Backend.KERAS, Precision.FP16) not in kinds  # Keras runs FP32 only


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"networks": ("cnn_9",)}, UnknownNameError, "Did you mean 'cnn9'"),
        ({"networks": ("cnn9",)}, MissingArtifactError, "run `mnx train cnn9`"),
        ({"backends": ("keras",), "precisions": ("fp16",)}, UsageError, "FP32 model only"),
        (
            {"backends": ("ort",), "precisions": ("fp16",)},
            MissingArtifactError,
            "Nothing to benchmark: linear ort fp16 is not exported",
        ),
        ({"backends": ("trt",), "backends_named": True}, MissingDependencyError, "would not help"),
    ],
)
def test_plan_refuses_before_any_work(
    bench_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    kw: dict,  # type: ignore[type-arg]
    error: type[Exception],
    message: str,
) -> None:
    from mnx.bench.plan import make_plan

    _no_gpu(monkeypatch)
    with pytest.raises(error, match=message):
        make_plan(_config(**kw), bench_root)


def _variant(path: Path):  # type: ignore[no-untyped-def]
    from mnx.bench.variants import Variant
    from mnx.toolkit.runners.ort import OrtRunner

    return Variant("m31_k3", Backend.ORT, Precision.FP32, path, lambda: OrtRunner(path))


def _cold_start(path: Path, x: np.ndarray):  # type: ignore[no-untyped-def]
    from mnx.bench.run import _cold_start

    v = _variant(path)
    runner = v.make_runner()
    try:
        return _cold_start(runner, v, x)
    finally:
        runner.close()


def test_hand_placed_onnx_of_another_rank_is_skipped(bench_root: Path) -> None:
    from mnx.bench.variants import Skip

    image_batch = np.zeros((4, 28, 28, 1), np.float32)  # what m31_k3 feeds
    skip = _cold_start(bench_root / "linear" / "model.fp32.onnx", image_batch)  # takes (N, 784)
    assert isinstance(skip, Skip) and skip.kind is SkipKind.LOAD_FAILED
    assert "model.fp32.onnx cannot run on a (1, 28, 28, 1) float32 batch" in skip.what
    assert skip.fix and "mnx export m31_k3" in skip.fix


def test_hand_placed_onnx_with_another_output_name_is_skipped(
    bench_root: Path, tmp_path: Path
) -> None:
    import onnx

    from mnx.bench.variants import Skip

    model = onnx.load(str(bench_root / "m31_k3" / "model.fp32.onnx"))
    old = model.graph.output[0].name
    for node in model.graph.node:
        node.output[:] = ["probs" if o == old else o for o in node.output]
    model.graph.output[0].name = "probs"
    path = tmp_path / "model.fp32.onnx"
    onnx.save(model, str(path))
    skip = _cold_start(path, np.zeros((4, 28, 28, 1), np.float32))
    assert isinstance(skip, Skip) and skip.kind is SkipKind.LOAD_FAILED
    assert "cannot run on a (1, 28, 28, 1) float32 batch" in skip.what


def test_a_good_file_cold_starts(bench_root: Path, tmp_path: Path) -> None:
    from mnx.bench.run import _ColdStart

    shutil.copy(bench_root / "m31_k3" / "model.fp32.onnx", tmp_path / "m.onnx")
    cold = _cold_start(tmp_path / "m.onnx", np.zeros((4, 28, 28, 1), np.float32))
    assert isinstance(cold, _ColdStart) and cold.load_ms > 0 and cold.first_ms > 0
