"""Latency statistics, throughput and trtexec-style warnings from raw timings."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Above this coefficient of variation a run is flagged unstable, the threshold docs/design.md
#: takes from trtexec's stability warning.
COV_WARN = 0.025
#: The timed calls are cut into this many consecutive windows for `p50_cov`.
WINDOWS = 10

PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)


@dataclass(frozen=True)
class LatencyStats:
    """Summary of per-call latencies in milliseconds (population std; percentiles as numpy's
    default linear interpolation)."""

    count: int
    min_ms: float
    mean_ms: float
    std_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    cov: float  # coefficient of variation of the calls, std / mean (0.01 = 1%)
    total_s: float  # sum of the timed calls
    # CoV of the p50 of WINDOWS consecutive windows of calls: how steady the reported figure
    # (p50, and images/s from it) is over the run. Per-call CoV of calls of a few µs is set by
    # timer interrupts and scheduler ticks (15-45% on an idle 2-core VM, results/ort_threads.md),
    # so the stability warning uses this one. NaN with fewer than 2 calls per window.
    p50_cov: float = math.nan

    @classmethod
    def from_ns(cls, latencies_ns: np.ndarray) -> LatencyStats:
        """Statistics of an int64 array of per-call nanoseconds."""
        return cls.from_ms(np.asarray(latencies_ns, dtype=np.float64) / 1e6)

    @classmethod
    def from_ms(cls, latencies_ms: np.ndarray) -> LatencyStats:
        ms = np.asarray(latencies_ms, dtype=np.float64)
        if ms.size == 0:
            raise ValueError("no timings to summarize (0 iterations ran)")
        p50, p90, p95, p99, p999 = (float(v) for v in np.percentile(ms, PERCENTILES))
        mean = float(ms.mean())
        std = float(ms.std())
        return cls(
            count=int(ms.size),
            min_ms=float(ms.min()),
            mean_ms=mean,
            std_ms=std,
            p50_ms=p50,
            p90_ms=p90,
            p95_ms=p95,
            p99_ms=p99,
            p999_ms=p999,
            max_ms=float(ms.max()),
            cov=std / mean if mean > 0 else math.nan,
            total_s=float(ms.sum()) / 1e3,
            p50_cov=window_p50_cov(ms),
        )


def window_p50_cov(ms: np.ndarray, windows: int = WINDOWS) -> float:
    """CoV (population std / mean) of the medians of `windows` consecutive chunks of calls."""
    if ms.size < 2 * windows:
        return math.nan
    medians = np.array([np.median(c) for c in np.array_split(ms, windows)])
    mean = float(medians.mean())
    return float(medians.std()) / mean if mean > 0 else math.nan


def stability(stats: LatencyStats) -> float:
    """The figure the instability warning is about: p50_cov, or the call CoV for short runs."""
    return stats.cov if math.isnan(stats.p50_cov) else stats.p50_cov


@dataclass(frozen=True)
class Throughput:
    """Serial (one request in flight) throughput: calls completed per second of timed work."""

    inferences_per_s: float
    images_per_s: float


def throughput(stats: LatencyStats, batch_size: int) -> Throughput:
    per_s = stats.count / stats.total_s if stats.total_s > 0 else math.nan
    return Throughput(inferences_per_s=per_s, images_per_s=per_s * batch_size)


@dataclass(frozen=True)
class DeviceStats:
    """Mean device-side times per call from CUDA events (None = the runner did not measure it)."""

    h2d_ms: float | None
    compute_ms: float | None
    d2h_ms: float | None


def device_stats(h2d: np.ndarray, compute: np.ndarray, d2h: np.ndarray) -> DeviceStats | None:
    """Means ignoring NaN (not measured); None when nothing was measured."""

    def mean(a: np.ndarray) -> float | None:
        a = a[~np.isnan(a)]
        return float(a.mean()) if a.size else None

    out = DeviceStats(mean(h2d), mean(compute), mean(d2h))
    if out.h2d_ms is None and out.compute_ms is None and out.d2h_ms is None:
        return None
    return out


def timing_warnings(
    stats: LatencyStats,
    device: DeviceStats | None = None,
    requested_providers: list[str] | None = None,
    providers: list[str] | None = None,
) -> list[str]:
    """The warnings trtexec (and ONNX Runtime's silent fallback) would deserve."""
    out: list[str] = []
    if stability(stats) > COV_WARN:
        out.append(
            f"unstable timing: p50 varies {stability(stats):.1%} (CoV over {WINDOWS} windows) "
            f"> {COV_WARN:.1%} (other processes using the CPU? rerun on an idle machine)"
        )
    if requested_providers and providers is not None:
        wanted_gpu = [p for p in requested_providers if p != "CPUExecutionProvider"]
        missing = [p for p in wanted_gpu if p not in providers]
        if missing:
            out.append(
                f"provider fell back to CPU: {', '.join(missing)} requested but not loaded "
                f"(session uses {', '.join(providers) or 'none'})"
            )
    if device is not None and device.compute_ms is not None:
        copies = (device.h2d_ms or 0.0) + (device.d2h_ms or 0.0)
        if copies > device.compute_ms:
            out.append(
                f"copy-bound: H2D+D2H {copies:.3f} ms > GPU compute {device.compute_ms:.3f} ms "
                "(larger batches amortize the copies)"
            )
        host_overhead = stats.mean_ms - copies - device.compute_ms
        if host_overhead > device.compute_ms:
            out.append(
                f"enqueue-bound: host overhead {host_overhead:.3f} ms > GPU compute "
                f"{device.compute_ms:.3f} ms (the GPU waits on the CPU; try CUDA graphs or "
                "larger batches)"
            )
    return out
