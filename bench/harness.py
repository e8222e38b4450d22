"""The timing harness: warm-up, then a count- or duration-bounded loop of timed `infer` calls.

Owned by the harness, not the runners (Polygraphy's split). What a figure includes:
each iteration is ``t0 = perf_counter_ns(); runner.infer(x); t1 = perf_counter_ns()`` — the
input is prepared once before the loop, nothing is printed, and timings go into a preallocated
int64 array. GPU runners' CUDA-event times are read with `last_device_timing()` *after* `t1`,
outside the timed region.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass

import numpy as np

from mnx.toolkit.runners.base import DeviceTiming, Runner

MAX_ITERATIONS = 10_000_000


@dataclass(frozen=True)
class HarnessConfig:
    """How long to warm up and to measure. Exactly one of `duration_s` / `iterations`."""

    duration_s: float | None = 2.0
    iterations: int | None = None
    warmup_iterations: int = 0
    warmup_s: float = 0.2

    def __post_init__(self) -> None:
        if (self.duration_s is None) == (self.iterations is None):
            raise ValueError("give exactly one of duration_s or iterations")
        if self.duration_s is not None and not self.duration_s > 0:
            raise ValueError(f"duration must be > 0 seconds, got {self.duration_s}")
        if self.iterations is not None and not 1 <= self.iterations <= MAX_ITERATIONS:
            raise ValueError(f"iterations must be in 1..{MAX_ITERATIONS}, got {self.iterations}")
        if self.warmup_iterations < 0 or self.warmup_s < 0:
            raise ValueError("warm-up must be >= 0")


@dataclass(frozen=True)
class Measurement:
    """Raw timings of one measured loop."""

    latencies_ns: np.ndarray  # int64, one per timed call, warm-up excluded
    warmup_iterations: int
    h2d_ms: np.ndarray  # float64 per call, NaN = not measured (CPU runners: all NaN)
    compute_ms: np.ndarray
    d2h_ms: np.ndarray


def warm_up(runner: Runner, x: np.ndarray, iterations: int, seconds: float) -> int:
    """Run at least `iterations` calls and for at least `seconds`; returns the count."""
    done = 0
    deadline = time.perf_counter_ns() + int(seconds * 1e9)
    while done < iterations or time.perf_counter_ns() < deadline:
        runner.infer(x)
        done += 1
    return done


def measure(runner: Runner, x: np.ndarray, config: HarnessConfig) -> Measurement:
    """Warm up, then time `runner.infer(x)` per `config`. `x` is used as is (prepared once)."""
    # at least one untimed call: a runner's first call at a batch size sets things up (TensorRT:
    # shape setup and CUDA-graph capture), which must never be timed
    warm = warm_up(runner, x, max(config.warmup_iterations, 1), config.warmup_s)
    if config.iterations is not None:
        capacity = config.iterations
    else:
        capacity = _estimate_capacity(runner, x, config.duration_s or 0.0)
    bufs = _Buffers.allocate(capacity)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection inside a timed call is not the model's cost
    try:
        n = _timed_loop(runner, x, config, bufs)
    finally:
        if gc_was_enabled:
            gc.enable()
    return Measurement(bufs.lat[:n], warm, bufs.h2d[:n], bufs.comp[:n], bufs.d2h[:n])


@dataclass
class _Buffers:
    lat: np.ndarray
    h2d: np.ndarray
    comp: np.ndarray
    d2h: np.ndarray

    @classmethod
    def allocate(cls, n: int) -> _Buffers:
        return cls(
            np.zeros(n, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        )

    def grow(self) -> None:
        self.lat, self.h2d = _grow(self.lat), _grow(self.h2d)
        self.comp, self.d2h = _grow(self.comp), _grow(self.d2h)


def _timed_loop(runner: Runner, x: np.ndarray, config: HarnessConfig, bufs: _Buffers) -> int:
    infer = runner.infer  # bound once: attribute lookups stay out of the timed call
    device = runner.last_device_timing
    clock = time.perf_counter_ns
    lat = bufs.lat
    n = 0
    if config.iterations is not None:
        while n < config.iterations:
            t0 = clock()
            infer(x)
            t1 = clock()
            lat[n] = t1 - t0
            _store_device(device(), n, bufs)
            n += 1
        return n
    deadline = clock() + int((config.duration_s or 0.0) * 1e9)
    t1 = 0
    while t1 < deadline and n < MAX_ITERATIONS:
        if n == lat.size:  # grow between calls, never inside a timed one
            bufs.grow()
            lat = bufs.lat
        t0 = clock()
        infer(x)
        t1 = clock()
        lat[n] = t1 - t0
        _store_device(device(), n, bufs)
        n += 1
    return n


def _store_device(timing: DeviceTiming | None, n: int, bufs: _Buffers) -> None:
    if timing is None:
        return
    if timing.h2d_ms is not None:
        bufs.h2d[n] = timing.h2d_ms
    if timing.compute_ms is not None:
        bufs.comp[n] = timing.compute_ms
    if timing.d2h_ms is not None:
        bufs.d2h[n] = timing.d2h_ms


def _grow(a: np.ndarray) -> np.ndarray:
    fill = 0 if a.dtype == np.int64 else np.nan
    out = np.full(a.size * 2, fill, dtype=a.dtype)
    out[: a.size] = a
    return out


def _estimate_capacity(runner: Runner, x: np.ndarray, duration_s: float) -> int:
    """Size the timings buffer from a few untimed calls (x1.5 headroom; it still grows if short)."""
    t0 = time.perf_counter_ns()
    for _ in range(3):
        runner.infer(x)
    per_call_s = max((time.perf_counter_ns() - t0) / 3e9, 1e-7)
    return int(min(max(math.ceil(duration_s / per_call_s * 1.5), 64), MAX_ITERATIONS))
