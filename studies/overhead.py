"""The harness's own overhead: mnx (OrtRunner + bench.harness.measure) against a bare
`session.run` loop timed the same way, in the same process, on the same session.

    python -m studies.overhead                  # linear at batch 1, writes results/overhead.md
    python -m studies.overhead --rounds 30 --iterations 3000 --threads 1

Rounds interleave the two loops (alternating which goes first) so machine noise hits both
alike; the figure is the median over rounds of each loop's p50, and the gate is that mnx's p50
is within 5% of the bare loop's.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LIMIT_PCT = 5.0
OUT = Path(__file__).resolve().parents[1] / "results" / "overhead.md"


def linear_onnx(root: Path | None, workdir: Path) -> tuple[Path, str]:
    """`<root>/linear/model.fp32.onnx` if exported, else an (untrained) `linear` converted here —
    timing does not depend on the weights."""
    if root is not None and (root / "linear" / "model.fp32.onnx").is_file():
        return root / "linear" / "model.fp32.onnx", "exported artifacts"
    from mnx import architectures
    from mnx.toolkit.export.onnx import onnx_from_keras

    model = architectures.get("linear").build()
    out = workdir / "linear.fp32.onnx"
    onnx_from_keras(workdir / "model.keras", out, model=model)
    return out, "freshly built linear network (untrained weights)"


def bare_loop(session: object, x: np.ndarray, iterations: int, warmup: int) -> np.ndarray:
    """session.run timed exactly like the harness: perf_counter_ns around each call."""
    run = session.run  # type: ignore[attr-defined]
    feeds = {"input": x}
    outs = ["output"]
    for _ in range(warmup):
        run(outs, feeds)
    lat = np.zeros(iterations, dtype=np.int64)
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for i in range(iterations):
            t0 = clock()
            run(outs, feeds)
            lat[i] = clock() - t0
    finally:
        gc.enable()
    return lat


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=2000, help="timed calls per loop per round")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--root", type=Path, default=None, help="artifacts root with linear exported")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    from mnx.bench.harness import HarnessConfig, measure
    from mnx.bench.stats import LatencyStats
    from mnx.toolkit.artifacts import write_text_atomic
    from mnx.toolkit.runners.ort import OrtRunner
    from mnx.toolkit.versions import versions

    with tempfile.TemporaryDirectory(prefix="mnx-overhead-") as tmp:
        path, origin = linear_onnx(args.root, Path(tmp))
        x = np.random.default_rng(0).random((1, 784), dtype=np.float32)
        cfg = HarnessConfig(
            duration_s=None, iterations=args.iterations, warmup_iterations=args.warmup, warmup_s=0.0
        )
        mnx_p50, bare_p50, mnx_all, bare_all = [], [], [], []
        runner = OrtRunner(path, threads=args.threads)
        with runner:
            for r in range(args.rounds):
                order = ("mnx", "bare") if r % 2 == 0 else ("bare", "mnx")
                for which in order:
                    if which == "mnx":
                        lat = measure(runner, x, cfg).latencies_ns
                        mnx_p50.append(LatencyStats.from_ns(lat).p50_ms)
                        mnx_all.append(lat)
                    else:
                        lat = bare_loop(runner.session, x, args.iterations, args.warmup)
                        bare_p50.append(LatencyStats.from_ns(lat).p50_ms)
                        bare_all.append(lat)
    m, b = statistics.median(mnx_p50), statistics.median(bare_p50)
    pooled_m = LatencyStats.from_ns(np.concatenate(mnx_all))
    pooled_b = LatencyStats.from_ns(np.concatenate(bare_all))
    diff = (m - b) / b * 100
    ok = abs(diff) <= LIMIT_PCT
    v = versions()
    md = f"""# Harness overhead: mnx OrtRunner + harness vs bare `session.run`

Command: `python -m studies.overhead --rounds {args.rounds} --iterations {args.iterations} \
--warmup {args.warmup} --threads {args.threads}`
Model: `linear` (784 -> 10 -> softmax), {origin}; batch 1; ONNX Runtime CPU, \
{args.threads} intra-op thread(s), same session for both loops.
Machine: {v.get("cpu", "?")}, Python {v.get("python")}, onnxruntime {v.get("onnxruntime")}; \
measured {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}.

| loop | median of per-round p50 (ms) | pooled p50 (ms) | pooled p99 (ms) | pooled mean (ms) |
|---|---|---|---|---|
| mnx (OrtRunner.infer in bench.harness.measure) | {m:.5f} | {pooled_m.p50_ms:.5f} | \
{pooled_m.p99_ms:.5f} | {pooled_m.mean_ms:.5f} |
| bare session.run loop | {b:.5f} | {pooled_b.p50_ms:.5f} | {pooled_b.p99_ms:.5f} | \
{pooled_b.mean_ms:.5f} |

mnx vs bare (median p50): **{diff:+.2f}%** — limit ±{LIMIT_PCT:g}%: **{"PASS" if ok else "FAIL"}**.
{args.rounds} interleaved rounds x {args.iterations} timed calls per loop (order alternates each
round; {args.warmup} warm-up calls excluded each time).
"""
    write_text_atomic(args.out, md)
    print(md)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
