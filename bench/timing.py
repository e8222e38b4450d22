"""One batch size of one runner through the harness: the BenchRow timing fields and warnings
(shared by the network rows of bench.run and the model-file rows of bench.external)."""

from __future__ import annotations

from typing import Any

from mnx.bench.harness import HarnessConfig, measure
from mnx.bench.records import clean_float
from mnx.bench.stats import LatencyStats, device_stats, throughput, timing_warnings
from mnx.toolkit.runners.base import Runner


def timed_fields(
    runner: Runner,
    x: Any,
    batch: int,
    harness: HarnessConfig,
    providers: list[str],
    flops_per_image: int | None,
) -> tuple[dict[str, Any], list[str]]:
    """Measure `x` (one batch of `batch` images) and return the latency, throughput and device
    fields of its BenchRow, and the timing warnings (`providers`: those the session really uses)."""
    m = measure(runner, x, harness)
    stats = LatencyStats.from_ns(m.latencies_ns)
    tp = throughput(stats, batch)
    dev = device_stats(m.h2d_ms, m.compute_ms, m.d2h_ms)
    expected = runner.expected_providers()
    warns = timing_warnings(stats, dev, expected, providers if expected else None)
    fields = {
        "iterations": stats.count,
        "warmup_iterations": m.warmup_iterations,
        "min_ms": stats.min_ms,
        "mean_ms": stats.mean_ms,
        "std_ms": stats.std_ms,
        "p50_ms": stats.p50_ms,
        "p90_ms": stats.p90_ms,
        "p95_ms": stats.p95_ms,
        "p99_ms": stats.p99_ms,
        "p999_ms": stats.p999_ms,
        "max_ms": stats.max_ms,
        "cov": clean_float(stats.cov),
        "p50_cov": clean_float(stats.p50_cov),
        "h2d_ms": dev.h2d_ms if dev else None,
        "compute_ms": dev.compute_ms if dev else None,
        "d2h_ms": dev.d2h_ms if dev else None,
        "inferences_per_s": clean_float(tp.inferences_per_s),
        "images_per_s": clean_float(tp.images_per_s),
        "gflop_per_s": (
            clean_float(flops_per_image * tp.images_per_s / 1e9) if flops_per_image else None
        ),
    }
    return fields, warns
