"""ONNX Runtime CPU threading: how stable and how fast are mnx's default sessions?

    python -m studies.ort_threads                     # ~1 minute; prints, writes nothing
    python -m studies.ort_threads --seconds 1 --rounds 5 --out results/ort_threads.md

In one process, with TensorFlow loaded and its thread pools started (as in `mnx bench`), for
FP32 `linear` and `cnn1` (freshly converted, untrained: timing does not depend on the weights):

1. CoV (std / mean of per-call latency) and p50 at batch 1 and 256 for mnx's default session
   (`make_session(path)`), for ONNX Runtime's own default threading, and for 1..cores threads
   with workers that spin always, only inside a run, or never;
2. images/s (from p50) at batch 256: mnx's default against the best thread count.

Goal (issue 13): default CoV <= 5% at batch 1 and 256, default within 10% of the best at 256.
Figures taken while other processes use the CPU are not the machine's: the command prints the
load average it started under and the CPU's ISA (AVX2 / AVX-512 / VNNI), and the committed
result must come from an idle machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.toolkit.runners.ort import DEFAULT_SPINNING, Spinning

NETWORKS = ("linear", "cnn1")
BATCHES = (1, 256)
COV_GOAL = 0.05
BEST_GOAL = 0.10
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile")


@dataclass(frozen=True)
class Config:
    label: str
    threads: int | None  # None = mnx's default; 0 = ONNX Runtime's own
    spinning: Spinning = DEFAULT_SPINNING


@dataclass(frozen=True)
class Point:
    network: str
    batch: int
    config: Config
    p50_ms: float
    cov: float  # of the calls
    p50_cov: float  # of the p50 over 10 consecutive windows: what the bench's warning uses
    calls: int

    @property
    def images_per_s(self) -> float:
        return self.batch * 1000.0 / self.p50_ms


def configs(cores: int) -> list[Config]:
    out = [Config("mnx default", None), Config("ORT default (spinning)", 0)]
    for n in range(1, cores + 1):
        out += [Config(f"{n} thread(s), spin {s.value}", n, s) for s in Spinning]
    return out


def isa() -> str:
    """The SIMD extensions ONNX Runtime's kernels pick from, as lscpu/cpuinfo names them."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.machine()
    flags = next((ln.split(":", 1)[1].split() for ln in text.splitlines() if "flags" in ln), [])
    have = [f for f in ISA_FLAGS if f in flags]
    return " ".join(have) or "none of " + ", ".join(ISA_FLAGS)


def build_models(workdir: Path) -> dict[str, Path]:
    """FP32 ONNX of each network, converted here; also starts TensorFlow's pools (predict)."""
    from mnx import architectures
    from mnx.toolkit.export.onnx import onnx_from_keras

    out = {}
    for name in NETWORKS:
        net = architectures.get(name)
        model = net.build()
        model.predict(np.zeros((4, *model.input_shape[1:]), np.float32), verbose=0)
        out[name] = workdir / f"{name}.fp32.onnx"
        onnx_from_keras(workdir / "model.keras", out[name], model=model)
    return out


class _SessionRunner:
    """What the bench harness needs of a runner: `infer` and `last_device_timing`."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.run = session.run

    def infer(self, x: np.ndarray) -> object:
        return self.run(["output"], {"input": x})

    def last_device_timing(self) -> None:
        return None


def measure(
    runner: _SessionRunner, x: np.ndarray, seconds: float
) -> tuple[float, float, int, float]:
    """(p50 ms, call CoV, calls, p50 CoV) of one batch through the bench harness's own loop."""
    from mnx.bench.harness import HarnessConfig
    from mnx.bench.harness import measure as harness_measure
    from mnx.bench.stats import LatencyStats

    m = harness_measure(runner, x, HarnessConfig(duration_s=seconds, warmup_s=0.2))  # type: ignore[arg-type]
    stats = LatencyStats.from_ns(m.latencies_ns)
    return stats.p50_ms, stats.cov, stats.count, stats.p50_cov


def run(seconds: float, cores: int, rounds: int) -> list[Point]:
    """Every (network, batch, config), `rounds` times interleaved so that load from elsewhere
    hits all configs alike; per point the median over rounds of p50 and of CoV."""
    from mnx.toolkit.runners.ort import make_session

    points = []
    with tempfile.TemporaryDirectory() as tmp:
        models = build_models(Path(tmp))
        for name, path in models.items():
            runners = {
                c: _SessionRunner(make_session(path, c.threads, spinning=c.spinning))
                for c in configs(cores)
            }
            shape = next(iter(runners.values())).session.get_inputs()[0].shape
            for batch in BATCHES:
                x = np.random.default_rng(0).random((batch, *shape[1:]), dtype=np.float32)
                got: dict[Config, list[tuple[float, float, int]]] = {c: [] for c in runners}
                for i in range(rounds):
                    order = list(runners) if i % 2 == 0 else list(reversed(runners))
                    for cfg in order:
                        got[cfg].append(measure(runners[cfg], x, seconds))
                for cfg, ms in got.items():
                    p50 = float(np.median([m[0] for m in ms]))
                    cov = float(np.median([m[1] for m in ms]))
                    p50_cov = float(np.median([m[3] for m in ms]))
                    calls = sum(m[2] for m in ms)
                    points.append(Point(name, batch, cfg, p50, cov, p50_cov, calls))
                    print(
                        f"  {name} b{batch} {cfg.label}: p50 {p50:.4f} ms, CoV {cov:.1%}, "
                        f"p50 CoV {p50_cov:.1%}"
                    )
    return points


def verdict(points: list[Point]) -> list[str]:
    """The goal's two checks per network, for the default session."""
    lines = []
    for name in NETWORKS:
        mine = [p for p in points if p.network == name]
        for batch in BATCHES:
            d = next(p for p in mine if p.batch == batch and p.config.threads is None)
            ok = "ok" if d.p50_cov <= COV_GOAL else "MISSED"
            lines.append(
                f"{name} batch {batch}: default p50 CoV {d.p50_cov:.1%} ({ok}, goal <= 5%; "
                f"call CoV {d.cov:.1%})"
            )
        at256 = [p for p in mine if p.batch == 256]
        best = max(at256, key=lambda p: p.images_per_s)
        d = next(p for p in at256 if p.config.threads is None)
        gap = 1 - d.images_per_s / best.images_per_s
        ok = "ok" if gap <= BEST_GOAL else "MISSED"
        lines.append(
            f"{name} batch 256: default {d.images_per_s:,.0f} images/s, best "
            f"{best.images_per_s:,.0f} ({best.config.label}), {gap:.1%} behind ({ok}, goal <= 10%)"
        )
    return lines


def report(points: list[Point], args: argparse.Namespace, load: str) -> str:
    import onnxruntime

    from mnx.toolkit.runners.ort import usable_cores
    from mnx.toolkit.versions import cpu_model

    out = [
        "# ONNX Runtime CPU threading: stability and speed of the default session",
        "",
        f"Command: `python -m studies.ort_threads --seconds {args.seconds:g} --rounds "
        f"{args.rounds}` (p50 and CoV: medians over interleaved rounds)",
        f"Machine: {cpu_model() or platform.processor()}, {usable_cores()} usable cores, "
        f"ISA: {isa()}; load average at start: {load}",
        f"Versions: onnxruntime {onnxruntime.__version__}, Python {platform.python_version()}",
        "",
        "| network | batch | session | p50 ms | p50 CoV % | call CoV % | images/s (p50) | calls |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        out.append(
            f"| {p.network} | {p.batch} | {p.config.label} | {p.p50_ms:.4f} | "
            f"{100 * p.p50_cov:.1f} | {100 * p.cov:.1f} | {p.images_per_s:,.0f} | {p.calls:,} |"
        )
    out += ["", "## Verdict", ""] + [f"- {line}" for line in verdict(points)]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    from mnx.toolkit.runners.ort import usable_cores

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=0.5, help="timed seconds per point/round")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per point")
    ap.add_argument("--out", type=Path, default=None, help="write the Markdown report here")
    args = ap.parse_args(argv)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"ISA: {isa()}; cores: {usable_cores()}; load average: {load}")
    points = run(args.seconds, usable_cores(), args.rounds)
    text = report(points, args, load)
    print("\n".join(verdict(points)))
    if args.out:
        from mnx.toolkit.artifacts import write_text_atomic

        write_text_atomic(args.out, text)
        print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
