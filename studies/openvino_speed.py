"""OpenVINO INT8 against ONNX Runtime FP32 on the CPU, in one process (issue 15's goals).

    python -m studies.openvino_speed --artifacts /tmp/ov-art          # cnn1, conv5_bn, cnn9
    python -m studies.openvino_speed cnn1 --rounds 3 --seconds 0.5 --artifacts /tmp/ov-art

For each network (trained briefly first when it has no model.keras: --train-epochs on
--train-limit images, said in the table), exported FP32 + both INT8 Q/DQ forms:

1. images/s at batch 256 (--batch) of ORT FP32, ORT INT8 u8, OpenVINO FP32 / INT8 s8 (the
   TensorRT-form file) / INT8 u8 / bf16 (where the CPU has it), median of --rounds interleaved
   rounds of --seconds each, through mnx's runners (`infer`, the call the bench times);
2. accuracy on the 10,000 test images of each, and the change vs ORT FP32 in pp;
3. batch-1 p50 of ORT and OpenVINO (FP32, and INT8 u8) through mnx's own harness
   (bench/harness.py `measure`), again in interleaved rounds (median of the rounds' p50s).

Goals: OpenVINO INT8 >= 2.0x ORT FP32 images/s; <= 0.1 pp accuracy loss vs FP32 (meaningful
only on fully trained models); OpenVINO batch-1 p50 within 10% of ORT's. Both engines get the
same --threads (default: every CPU this process may use). Writes results/openvino-speed-*.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_NETWORKS = ("cnn1", "conv5_bn", "cnn9")
RESULTS = Path(__file__).resolve().parents[1] / "results"
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8", "amx_bf16", "avx_vnni")


@dataclass(frozen=True)
class Engine:
    label: str  # e.g. "OpenVINO · model.int8.u8.onnx"
    backend: str  # "ort" | "openvino"
    filename: str
    hint: str | None = None  # OpenVINO INFERENCE_PRECISION_HINT


def engines(has_bf16: bool) -> list[Engine]:
    out = [
        Engine("ORT · model.fp32.onnx", "ort", "model.fp32.onnx"),
        Engine("ORT · model.int8.u8.onnx", "ort", "model.int8.u8.onnx"),
        Engine("OpenVINO · model.fp32.onnx (f32)", "openvino", "model.fp32.onnx", "f32"),
        Engine(
            "OpenVINO · model.int8.onnx (s8, TensorRT form)", "openvino", "model.int8.onnx", "f32"
        ),
        Engine("OpenVINO · model.int8.u8.onnx", "openvino", "model.int8.u8.onnx", "f32"),
    ]
    if has_bf16:
        out.append(
            Engine("OpenVINO · model.fp32.onnx (bf16)", "openvino", "model.fp32.onnx", "bf16")
        )
    return out


def make_runner(e: Engine, net_dir: Path, threads: int) -> Any:
    if e.backend == "ort":
        from mnx.toolkit.runners.ort import OrtRunner

        return OrtRunner(net_dir / e.filename, threads=threads)
    from mnx.toolkit.runners.openvino import OpenVinoRunner

    return OpenVinoRunner(net_dir / e.filename, threads=threads, precision_hint=e.hint or "f32")


def ensure_exported(name: str, root: Path, epochs: int, limit: int | None, samples: int) -> str:
    """Train briefly when there is no model.keras, export FP32 + INT8; returns how it trained."""
    from mnx.toolkit.artifacts import read_json
    from mnx.toolkit.export.pipeline import ExportOptions, export

    net_dir = root / name
    if not (net_dir / "model.keras").exists():
        from mnx.toolkit.train import TrainConfig, train

        print(f"{name}: training {epochs} epoch(s){f' on {limit} images' if limit else ''}")
        train(name, TrainConfig(epochs=epochs, limit=limit, seed=0), root)
    export(name, ExportOptions(int8=True, calibration_samples=samples, trt=False), root)
    info = read_json(net_dir / "train.json")
    cfg = info.get("config", {})
    ep, lim = info.get("epochs") or cfg.get("epochs"), info.get("limit") or cfg.get("limit")
    return f"{ep}" + (f" epoch(s) on {lim:,} images" if lim else " epoch(s)")


def throughput(runners: dict[str, Any], x: np.ndarray, rounds: int, seconds: float) -> dict:
    rates: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(rounds):
        for k, r in runners.items():
            infer = r.infer
            n, start = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds:
                infer(x)
                n += 1
            rates[k].append(n * len(x) / elapsed)
    return {k: statistics.median(v) for k, v in rates.items()}


def batch1_p50(runners: dict[str, Any], x1: np.ndarray, rounds: int, seconds: float) -> dict:
    from mnx.bench.harness import HarnessConfig, measure

    cfg = HarnessConfig(duration_s=seconds, warmup_s=0.1)
    p50s: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(rounds):
        for k, r in runners.items():
            p50s[k].append(float(np.median(measure(r, x1, cfg).latencies_ns)) / 1e3)
    return {k: statistics.median(v) for k, v in p50s.items()}


def study(name: str, root: Path, args: argparse.Namespace, has_bf16: bool) -> list[str]:
    from mnx import architectures
    from mnx.bench.accuracy import predict_all
    from mnx.toolkit.data import load_mnist, preprocess

    trained = ensure_exported(
        name, root, args.train_epochs, args.train_limit, args.calibration_samples
    )
    net = architectures.get(name)
    data = load_mnist()
    x = np.ascontiguousarray(
        preprocess(data.x_test, net.recipe.preprocessing, net.layout), np.float32
    )
    y = np.asarray(data.y_test)
    es = engines(has_bf16)
    runners = {e.label: make_runner(e, root / name, args.threads) for e in es}
    for r in runners.values():
        r.load()
    xb = np.ascontiguousarray(x[: args.batch])
    for r in runners.values():  # first calls compile the batch's shape / pick kernels
        r.infer(xb)
    rate = throughput(runners, xb, args.rounds, args.seconds)
    acc = {k: float((predict_all(r, x).argmax(1) == y).mean()) for k, r in runners.items()}
    executed = {
        k: r.executed_precision() for k, r in runners.items() if hasattr(r, "executed_precision")
    }
    s8, u8 = es[3].label, es[4].label
    best_int8 = u8 if rate[u8] >= rate[s8] else s8
    lat_keys = [es[0].label, es[2].label, es[1].label, best_int8]
    p50 = batch1_p50(
        {k: runners[k] for k in lat_keys},
        np.ascontiguousarray(x[:1]),
        args.rounds,
        args.latency_seconds,
    )
    for r in runners.values():
        r.close()
    base, base_acc = rate[es[0].label], acc[es[0].label]
    lines = [f"### {name} (trained: {trained})", ""]
    lines += ["| engine · file | executed | images/s | vs ORT FP32 | accuracy | Δ vs FP32 (pp) |"]
    lines += ["|---|---|---:|---:|---:|---:|"]
    for e in es:
        k = e.label
        lines.append(
            f"| {k}{' **(int8 pick)**' if k == best_int8 else ''} | {executed.get(k, '-')} | "
            f"{rate[k]:,.0f} | {rate[k] / base:.2f}x | {acc[k]:.2%} | {(acc[k] - base_acc) * 100:+.2f} |"
        )
    ratio, loss = rate[best_int8] / base, (base_acc - acc[best_int8]) * 100
    ort_fp32, ov_fp32, ort_i8 = es[0].label, es[2].label, es[1].label
    lines += [
        "",
        f"Batch-1 p50 through mnx's harness (µs): ORT FP32 {p50[ort_fp32]:.1f}, OpenVINO FP32 "
        f"{p50[ov_fp32]:.1f} ({p50[ov_fp32] / p50[ort_fp32]:.2f}x ORT); ORT INT8 u8 "
        f"{p50[ort_i8]:.1f}, OpenVINO INT8 {p50[best_int8]:.1f} ({p50[best_int8] / p50[ort_i8]:.2f}x ORT INT8, "
        f"{p50[best_int8] / p50[ort_fp32]:.2f}x ORT FP32).",
        "",
        f"Goals: OpenVINO INT8 {ratio:.2f}x ORT FP32 images/s ({'met' if ratio >= 2.0 else f'missed by {2.0 - ratio:.2f}x'} "
        f"vs >= 2.0x); accuracy loss {loss:+.2f} pp vs FP32 ({'met' if loss <= 0.1 else 'missed'} vs <= 0.1 pp"
        f"; model trained {trained}); batch-1 p50 vs ORT: "
        f"{_within(p50[ov_fp32], p50[ort_fp32])} for FP32, "
        f"{_within(p50[best_int8], p50[ort_i8])} for INT8 (goal: within +10%).",
        "",
    ]
    print("\n".join(lines))
    return lines


def _within(ov: float, ort: float) -> str:
    change = ov / ort - 1
    return f"{change:+.0%} ({'met' if change <= 0.10 else f'missed by {change - 0.10:.0%}'})"


def isa() -> str:
    try:
        flags = next(
            line
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
        ).split()
    except (OSError, StopIteration):
        return "unknown"
    return " ".join(f for f in ISA_FLAGS if f in flags) or "none of " + ", ".join(ISA_FLAGS)


def main(argv: list[str] | None = None) -> int:
    from mnx.toolkit.artifacts import artifacts_root
    from mnx.toolkit.runners.openvino import cpu_has_bf16
    from mnx.toolkit.versions import versions

    ap = argparse.ArgumentParser(
        prog="python -m studies.openvino_speed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("names", nargs="*", default=list(DEFAULT_NETWORKS))
    ap.add_argument("--artifacts", type=Path, default=None)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0, help="per engine per round (batch)")
    ap.add_argument("--latency-seconds", type=float, default=1.0, help="per engine per round (b1)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--train-epochs", type=int, default=1, help="for networks not trained yet")
    ap.add_argument("--train-limit", type=int, default=10_000, help="training images for those")
    ap.add_argument("--calibration-samples", type=int, default=1000)
    args = ap.parse_args(argv)

    root = artifacts_root(args.artifacts)
    load_before = os.getloadavg()[0]
    has_bf16 = cpu_has_bf16()
    body: list[str] = []
    for name in args.names:
        body += study(name, root, args, has_bf16)
    v = versions()
    head = [
        f"# OpenVINO vs ONNX Runtime on the CPU (batch {args.batch})",
        "",
        f"Command: `python -m studies.openvino_speed {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; CPU {v.get('cpu', '?')}, "
        f"{len(os.sched_getaffinity(0))} CPUs, ISA {isa()}; onnxruntime {v.get('onnxruntime', '?')}, "
        f"openvino {v.get('openvino', '?')}, mnx commit {v.get('git_commit', '?')}; threads "
        f"{args.threads} for both engines; OpenVINO PERFORMANCE_HINT=LATENCY, static shapes, threads not pinned; "
        f"median of {args.rounds} interleaved rounds x {args.seconds:g} s; accuracy on the 10,000 "
        f"test images; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"(on {len(os.sched_getaffinity(0))} CPUs: above that, other work shared them).",
        "",
    ]
    text = "\n".join(head + body)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"openvino-speed-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.md"
    out.write_text(text, encoding="utf-8")
    print(f"Saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
