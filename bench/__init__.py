"""mnx bench: measures artifacts — timing harness, accuracy, result records, reports and plots.

from mnx.bench import run_bench
results = run_bench(["linear"], backends=["keras", "ort"], batch_sizes=[1, 32])
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_bench"]


def run_bench(*args: Any, **kwargs: Any) -> Any:
    """See `bench.run.run_bench` (imported lazily: it pulls in numpy and the runners)."""
    from mnx.bench.run import run_bench as _run_bench

    return _run_bench(*args, **kwargs)
