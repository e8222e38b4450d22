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


def measured_row(
    network: str,
    backend: str,
    precision: str,
    batch_size: int,
    p50_ms: float,
    accuracy: float | None = 0.98,
    **fields: object,
) -> BenchRow:
    """A measured row with consistent figures (p99 = 1.5 x p50, mean = 1.2 x p50)."""
    values: dict[str, object] = {
        "accuracy": accuracy,
        "agreement": 1.0,
        "max_abs_diff": 1e-6,
        "iterations": 100,
        "p50_ms": p50_ms,
        "p99_ms": 1.5 * p50_ms,
        "mean_ms": 1.2 * p50_ms,
        "cov": 0.01,
        "images_per_s": batch_size * 1000.0 / (1.2 * p50_ms),
        "params": 7960,
        "model_bytes": 31_840,
        "eval_images": 10_000,
        "timed_scope": f"host: {backend} call",
    }
    values.update(fields)
    return BenchRow(network, backend, precision, batch_size, **values)  # type: ignore[arg-type]


def results_of(rows: list[BenchRow]) -> BenchResults:
    """`make_results`' provenance and a config matching `rows`."""
    base = make_results()
    cfg = BenchConfig(
        networks=tuple(dict.fromkeys(r.network for r in rows)),
        backends=tuple(dict.fromkeys(r.backend for r in rows)),
        precisions=tuple(dict.fromkeys(r.precision for r in rows)),
        batch_sizes=tuple(sorted({r.batch_size for r in rows if r.batch_size})),
        duration_s=None,
        iterations=100,
        warmup_iterations=10,
        warmup_s=0.0,
        threads=None,
    )
    return BenchResults(provenance=base.provenance, config=cfg, rows=tuple(rows))
