"""One real bench run on `linear` (exported FP32 only), shared by the bench tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.paths import SUBSET


@pytest.fixture(scope="session")
def bench_root(trained_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of `trained_root` with linear exported to FP32 ONNX by the real exporter."""
    root = tmp_path_factory.mktemp("bench") / "artifacts"
    shutil.copytree(trained_root, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNX_MNIST", str(SUBSET))
        mp.setenv("MNX_DATA_DIR", str(root.parent / "data-cache"))
        from mnx.toolkit.export.pipeline import ExportOptions, export

        export("linear", ExportOptions(trt=False), root)
    return root


@pytest.fixture(scope="session")
def linear_results(bench_root: Path, subset_data):  # type: ignore[no-untyped-def]
    """keras + ort fp32/fp16 + ort-cuda + trt on linear, batches 1 and 8, 30 timed calls each."""
    from mnx.bench.run import run_bench

    return run_bench(
        ["linear"],
        ["keras", "ort", "ort-cuda", "trt"],
        ["fp32", "fp16"],
        [1, 8],
        duration_s=None,
        iterations=30,
        warmup=3,
        warmup_s=0.0,
        threads=1,
        root=bench_root,
        progress=False,
        data=subset_data,
    )
