"""mnx.bench.stats: percentiles, CoV, throughput and warnings on known arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnx.bench.stats import (
    COV_WARN,
    DeviceStats,
    LatencyStats,
    device_stats,
    throughput,
    timing_warnings,
)


def test_stats_match_numpy_on_known_array() -> None:
    rng = np.random.default_rng(0)
    ms = rng.gamma(2.0, 0.5, size=10_001)
    s = LatencyStats.from_ms(ms)
    assert s.count == ms.size
    assert s.min_ms == ms.min() and s.max_ms == ms.max()
    assert s.mean_ms == pytest.approx(ms.mean())
    assert s.std_ms == pytest.approx(ms.std())
    for q, got in [
        (50, s.p50_ms),
        (90, s.p90_ms),
        (95, s.p95_ms),
        (99, s.p99_ms),
        (99.9, s.p999_ms),
    ]:
        assert got == pytest.approx(np.percentile(ms, q))
    assert s.cov == pytest.approx(ms.std() / ms.mean())
    assert s.total_s == pytest.approx(ms.sum() / 1e3)


def test_from_ns_converts_units() -> None:
    s = LatencyStats.from_ns(np.array([1_000_000, 2_000_000, 3_000_000], dtype=np.int64))
    assert (s.min_ms, s.p50_ms, s.max_ms) == (1.0, 2.0, 3.0)
    assert s.mean_ms == 2.0


def test_throughput_counts_images() -> None:
    s = LatencyStats.from_ms(np.full(100, 2.0))  # 100 calls of 2 ms = 0.2 s
    tp = throughput(s, batch_size=32)
    assert tp.inferences_per_s == pytest.approx(500.0)
    assert tp.images_per_s == pytest.approx(16_000.0)
    assert s.cov == 0.0


def test_empty_timings_refused() -> None:
    with pytest.raises(ValueError, match="0 iterations"):
        LatencyStats.from_ms(np.array([]))


def test_warnings_unstable_fallback_copy_and_enqueue_bound() -> None:
    steady = LatencyStats.from_ms(np.full(50, 1.0))
    assert timing_warnings(steady) == []
    noisy = LatencyStats.from_ms(np.array([1.0, 1.0, 1.0, 2.0]))
    assert noisy.cov > COV_WARN
    assert any("unstable" in w for w in timing_warnings(noisy))

    fell_back = timing_warnings(
        steady, None, ["CUDAExecutionProvider", "CPUExecutionProvider"], ["CPUExecutionProvider"]
    )
    assert any("fell back to CPU" in w for w in fell_back)
    assert (
        timing_warnings(
            steady,
            None,
            ["CUDAExecutionProvider"],
            ["CUDAExecutionProvider", "CPUExecutionProvider"],
        )
        == []
    )

    copy_bound = timing_warnings(steady, DeviceStats(h2d_ms=0.4, compute_ms=0.3, d2h_ms=0.2))
    assert any("copy-bound" in w for w in copy_bound)
    # host call 1.0 ms, device work 0.1 ms: the CPU, not the GPU, sets the pace
    enqueue = timing_warnings(steady, DeviceStats(h2d_ms=0.01, compute_ms=0.1, d2h_ms=0.01))
    assert any("enqueue-bound" in w for w in enqueue)


def test_device_stats_ignores_unmeasured() -> None:
    nan = np.full(3, np.nan)
    assert device_stats(nan, nan, nan) is None
    d = device_stats(np.array([1.0, np.nan, 3.0]), np.array([2.0, 2.0, 2.0]), nan)
    assert d is not None and d.h2d_ms == 2.0 and d.compute_ms == 2.0 and d.d2h_ms is None
    assert not math.isnan(d.h2d_ms)


def test_p50_cov_separates_rare_spikes_from_a_moving_p50() -> None:
    from mnx.bench.stats import stability, window_p50_cov

    rng = np.random.default_rng(0)
    calls = rng.normal(0.1, 0.001, 10_000)
    calls[::97] = 5.0  # interrupts: rare, 50x longer calls
    spiky = LatencyStats.from_ms(calls)
    assert spiky.cov > 1.0 and spiky.p50_cov < 0.01  # the reported p50 did not move
    assert not any("unstable" in w for w in timing_warnings(spiky))
    drifting = calls.copy()
    drifting[5_000:] *= 1.5  # another process took a core half-way through
    moved = LatencyStats.from_ms(drifting)
    assert moved.p50_cov > 0.1 and stability(moved) == moved.p50_cov
    assert any("p50 varies" in w for w in timing_warnings(moved))
    short = LatencyStats.from_ms(calls[:10])  # under 2 calls per window: the call CoV decides
    assert np.isnan(window_p50_cov(calls[:10])) and stability(short) == short.cov
