"""mnx.bench.harness: warm-up excluded, iteration and duration bounds, device timings collected."""

from __future__ import annotations

import time

import numpy as np
import pytest

from mnx.bench.harness import HarnessConfig, measure
from mnx.toolkit.runners.base import DeviceTiming, Runner


class CountingRunner(Runner):
    """Sleeps `delay_s` per call and counts calls; reports a device timing per call."""

    backend = "fake"
    timed_scope = "a sleep"

    def __init__(self, delay_s: float = 0.0, device: bool = False) -> None:
        super().__init__()
        self.calls = 0
        self.delay_s = delay_s
        self.device = device
        self.inputs: set[int] = set()

    def _load(self) -> None:
        pass

    def infer(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.inputs.add(id(x))
        if self.delay_s:
            time.sleep(self.delay_s)
        return np.zeros((len(x), 10), np.float32)

    def last_device_timing(self) -> DeviceTiming | None:
        return DeviceTiming(0.1, float(self.calls), None) if self.device else None


def test_iterations_respected_and_warmup_excluded() -> None:
    r = CountingRunner()
    x = np.zeros((4, 784), np.float32)
    m = measure(
        r, x, HarnessConfig(duration_s=None, iterations=37, warmup_iterations=5, warmup_s=0.0)
    )
    assert m.warmup_iterations == 5
    assert m.latencies_ns.size == 37
    assert r.calls == 5 + 37
    assert m.latencies_ns.dtype == np.int64 and (m.latencies_ns > 0).all()
    assert r.inputs == {id(x)}  # the prepared input itself, never a copy per call
    assert np.isnan(m.compute_ms).all()


def test_warmup_calls_are_not_timed() -> None:
    # warm-up calls are slow (first 3), timed ones fast: none of the slow ones may show up
    class SlowStart(CountingRunner):
        def infer(self, x: np.ndarray) -> np.ndarray:
            self.delay_s = 0.02 if self.calls < 3 else 0.0
            return super().infer(x)

    m = measure(
        SlowStart(),
        np.zeros((1, 784), np.float32),
        HarnessConfig(duration_s=None, iterations=20, warmup_iterations=3, warmup_s=0.0),
    )
    assert m.latencies_ns.max() < 15_000_000


def test_duration_bound_grows_buffer() -> None:
    r = CountingRunner(delay_s=0.001)
    m = measure(
        r,
        np.zeros((1, 784), np.float32),
        HarnessConfig(duration_s=0.15, warmup_iterations=0, warmup_s=0.0),
    )
    total_s = m.latencies_ns.sum() / 1e9
    assert 0.05 < total_s < 0.6
    assert m.latencies_ns.size >= 20
    assert (m.latencies_ns > 0).all()  # no unfilled slots returned


def test_device_timings_collected_per_call() -> None:
    r = CountingRunner(device=True)
    m = measure(
        r,
        np.zeros((1, 784), np.float32),
        HarnessConfig(duration_s=None, iterations=10, warmup_iterations=2, warmup_s=0.0),
    )
    assert np.allclose(m.h2d_ms, 0.1)
    assert list(m.compute_ms) == [float(c) for c in range(3, 13)]  # after the 2 warm-up calls
    assert np.isnan(m.d2h_ms).all()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(duration_s=0.0), "duration must be > 0 seconds"),
        (dict(duration_s=None, iterations=0), "iterations must be in 1.."),
        (dict(duration_s=1.0, iterations=5), "exactly one of duration_s or iterations"),
        (dict(warmup_iterations=-1), "warm-up must be >= 0"),
    ],
)
def test_bad_config_refused(kw: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message):
        HarnessConfig(**kw)
