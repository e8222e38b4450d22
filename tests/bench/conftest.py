"""One real bench run on `linear` (in `bench_root`, tests/conftest.py), shared by the bench tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def linear_results(bench_root: Path, subset_data):  # type: ignore[no-untyped-def]
    """keras + ort fp32/fp16 + ort-cuda + trt on linear, batches 1 and 8, 30 timed calls each;
    the backends are the default set (not named), so those this machine lacks are skipped."""
    from mnx.bench.records import BenchConfig
    from mnx.bench.run import run_bench

    config = BenchConfig(
        networks=("linear",),
        backends=("keras", "ort", "ort-cuda", "trt"),  # type: ignore[arg-type]
        precisions=("fp32", "fp16"),  # type: ignore[arg-type]
        batch_sizes=(1, 8),
        duration_s=None,
        iterations=30,
        warmup_iterations=3,
        warmup_s=0.0,
        threads=1,
    )
    return run_bench(config, bench_root, data=subset_data)
