"""mnx bench: measures artifacts — timing harness, accuracy, result records, reports and plots.

from mnx.bench import BenchConfig, run_bench
config = BenchConfig(networks=("linear",), backends=("keras", "ort"), batch_sizes=(1, 32))
results = run_bench(config)
"""

from __future__ import annotations

from typing import Any

__all__ = ["BenchConfig", "run_bench"]


def __getattr__(name: str) -> Any:
    if name == "BenchConfig":  # lazily, like run_bench
        from mnx.bench.records import BenchConfig

        return BenchConfig
    raise AttributeError(f"module 'mnx.bench' has no attribute {name!r}")


def run_bench(*args: Any, **kwargs: Any) -> Any:
    """See `bench.run.run_bench` (imported lazily: it pulls in numpy and the runners)."""
    from mnx.bench.run import run_bench as _run_bench

    return _run_bench(*args, **kwargs)
