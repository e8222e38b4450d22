"""A small, constructed BenchResults for tests of records, reports and compare."""

from __future__ import annotations

from mnx.bench.records import BenchConfig, BenchResults, BenchRow, Provenance


def make_results(p50_ms: float = 1.0, accuracy: float = 0.98) -> BenchResults:
    prov = Provenance(
        created_utc="2025-01-01T00:00:00+00:00",
        mnx_version="0.1.0",
        versions={"onnxruntime": "1.32.0"},
        cpu="Test CPU",
        gpu=None,
        threads=2,
        providers=("CPUExecutionProvider",),
        git_commit="abc",
        platform="linux",
    )
    cfg = BenchConfig(
        networks=("linear",),
        backends=("ort", "trt"),
        precisions=("fp32",),
        batch_sizes=(1, 32),
        duration_s=None,
        iterations=100,
        warmup_iterations=10,
        warmup_s=0.0,
        threads=2,
    )
    rows = tuple(
        BenchRow(
            network="linear",
            backend="ort",
            precision="fp32",
            batch_size=b,
            accuracy=accuracy,
            agreement=1.0,
            max_abs_diff=1e-7,
            iterations=100,
            p50_ms=p50_ms * b,
            mean_ms=p50_ms * b,
            images_per_s=1000.0 * b / (p50_ms * b),
            providers=("CPUExecutionProvider",),
            warnings=("w",),
            params=7960,
        )
        for b in (1, 32)
    ) + (
        BenchRow(
            network="linear",
            backend="trt",
            precision="fp32",
            batch_size=None,
            skipped_reason="TensorRT not installed (pip install 'mnx[tensorrt]')",
        ),
    )
    return BenchResults(provenance=prov, config=cfg, rows=rows)
