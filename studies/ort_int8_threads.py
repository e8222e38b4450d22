"""Why ONNX Runtime's INT8 does not scale from 1 to 2 threads: per-op profiles, and session options.

    python -m studies.ort_int8_threads --artifacts /tmp/ov-art            # cnn1, batch 256

Part 1: ORT's own profiler (`SessionOptions.enable_profiling`) on model.fp32.onnx and
model.int8.u8.onnx at 1 and 2 intra-op threads: the mean time per call of each op type, and
the 1 -> 2 thread speed-up per op type. Part 2: images/s of the INT8 file at 2 threads under
session options mnx could set (spinning, the thread pool's dynamic block size, the optimization
level), in interleaved rounds, against FP32 at 2 threads. Part 3: which ops get Q/DQ: the
u8 model re-quantized with every Conv, and with the first Conv left in FP32, at 1 and 2 threads,
with test accuracy. Writes results/openvino-ort-int8-*.md
(the OpenVINO issue asked for it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "results"
FILES = ("model.fp32.onnx", "model.int8.u8.onnx")
# Session options of ONNX Runtime that mnx's OrtRunner could set (config keys are ORT's).
OPTION_SETS: dict[str, dict[str, str]] = {
    "default (mnx today)": {},
    "no spinning": {"session.intra_op.allow_spinning": "0"},
    "dynamic_block_base=4": {"session.dynamic_block_base": "4"},
    "ORT_ENABLE_EXTENDED": {"level": "extended"},
}


def session(
    path: Path, threads: int, config: dict[str, str], profile_dir: Path | None = None
) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    level = config.get("level")
    so.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        if level == "extended"
        else ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    )
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    for k, v in config.items():
        if k != "level":
            so.add_session_config_entry(k, v)
    if profile_dir is not None:
        so.enable_profiling = True
        profile_dir.mkdir(parents=True, exist_ok=True)
        so.profile_file_prefix = str(profile_dir / "ort")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def op_profiles(
    paths: dict[str, Path], x: np.ndarray, calls: int, rounds: int, warm: int = 5
) -> dict[str, dict[str, float]]:
    """Per key of `paths` ("<file> @ <n>t"): mean µs per call of each node (ORT's profiler).
    The profiled sessions take turns, `calls` each per round, so load from other processes
    falls on all of them alike; warm-up calls are left out by their start time."""
    with tempfile.TemporaryDirectory() as tmp:
        sessions = {
            k: session(p, int(k.rsplit("@ ", 1)[1].rstrip("t")), {}, Path(tmp) / str(i))
            for i, (k, p) in enumerate(paths.items())
        }
        for s in sessions.values():
            for _ in range(warm):
                s.run(None, {"input": x})
        for _ in range(rounds):
            for s in sessions.values():
                for _ in range(calls):
                    s.run(None, {"input": x})
        files = {k: Path(s.end_profiling()) for k, s in sessions.items()}
        events = {k: json.loads(f.read_text()) for k, f in files.items()}
    out: dict[str, dict[str, float]] = {}
    for k, evs in events.items():
        runs = sorted(
            (e for e in evs if e.get("cat") == "Session" and e["name"] == "model_run"),
            key=lambda e: e["ts"],
        )[warm:]
        cutoff = runs[0]["ts"]
        per: dict[str, float] = defaultdict(float)
        for e in evs:
            if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= cutoff:
                node = e["name"].removesuffix("_kernel_time")
                per[f"{e['args']['op_name']} {node}"] += float(e["dur"]) / len(runs)
        per["(session.run)"] = statistics.median(float(e["dur"]) for e in runs)
        out[k] = dict(per)
    return out


def requantized(net_dir: Path, net: Any, data: Any, tmp: Path) -> dict[str, Path]:
    """The u8 INT8 model made again (min-max, 500 training images) with every Conv quantized,
    and with the first Conv left in FP32: the profile shows the first convolution (one input
    channel, so a tiny inner dimension) far slower as QLinearConv than as FP32 Conv."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    from mnx.toolkit.data import preprocess
    from mnx.toolkit.export.calibration import quantized_op_types
    from mnx.toolkit.export.precision import prepare_for_int8

    prep = prepare_for_int8(net_dir / "model.fp32.onnx", tmp / "prepared.onnx")
    convs = [n.name for n in onnx.load(str(prep)).graph.node if n.op_type == "Conv"]
    xc = preprocess(data.x_train[:500], net.recipe.preprocessing, net.layout).astype(np.float32)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{"input": xc[i : i + 50]} for i in range(0, len(xc), 50)])

        def get_next(self):  # type: ignore[no-untyped-def]
            return next(self.batches, None)

    out = {}
    for tag, exclude in (("all Q/DQ", []), ("first Conv FP32", convs[:1])):
        path = out[tag] = tmp / f"{tag.split()[0]}.onnx"
        quantize_static(
            str(prep),
            str(path),
            Reader(),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=quantized_op_types(),
            per_channel=True,
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=exclude,
            extra_options={"WeightSymmetric": True, "ActivationSymmetric": False},
        )
    return out


def rates(sessions: dict[str, Any], x: np.ndarray, rounds: int, seconds: float) -> dict[str, float]:
    got: dict[str, list[float]] = {k: [] for k in sessions}
    for _ in range(rounds):
        for k, s in sessions.items():
            n, start = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds:
                s.run(None, {"input": x})
                n += 1
            got[k].append(n * len(x) / elapsed)
    return {k: statistics.median(v) for k, v in got.items()}


def main(argv: list[str] | None = None) -> int:
    from mnx import architectures
    from mnx.toolkit.artifacts import artifacts_root
    from mnx.toolkit.data import load_mnist, preprocess
    from mnx.toolkit.versions import versions

    ap = argparse.ArgumentParser(prog="python -m studies.ort_int8_threads", description=__doc__)
    ap.add_argument("name", nargs="?", default="cnn1")
    ap.add_argument("--artifacts", type=Path, default=None)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args(argv)
    net_dir = artifacts_root(args.artifacts) / args.name
    net = architectures.get(args.name)
    data = load_mnist()
    x = np.ascontiguousarray(
        preprocess(data.x_test[: args.batch], net.recipe.preprocessing, net.layout),
        np.float32,
    )
    paths = {f"{f} @ {t}t": net_dir / f for f in FILES for t in (1, 2)}
    prof = op_profiles(paths, x, args.calls, args.rounds)
    lines = [
        f"# ONNX Runtime INT8 vs FP32 from 1 to 2 threads ({args.name}, batch {args.batch})",
        "",
        f"Command: `python -m studies.ort_int8_threads {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; CPU {versions().get('cpu', '?')}; "
        f"onnxruntime {versions().get('onnxruntime', '?')}. Per node: ORT's profiler, mean µs "
        f"per call over {args.rounds} interleaved rounds x {args.calls} calls; load average "
        f"{os.getloadavg()[0]:.1f} on {len(os.sched_getaffinity(0))} CPUs.",
        "",
        "| file | node | 1 thread µs | 2 threads µs | speed-up |",
        "|---|---|---:|---:|---:|",
    ]
    for f in FILES:
        one, two = prof[f"{f} @ 1t"], prof[f"{f} @ 2t"]
        for op in sorted(one, key=lambda o: -one[o]):
            if one[op] >= 0.01 * one["(session.run)"] or op == "(session.run)":
                t2 = two.get(op, float("nan"))
                lines.append(f"| {f} | {op} | {one[op]:,.0f} | {t2:,.0f} | {one[op] / t2:.2f}x |")
    sessions = {"FP32 (default)": session(net_dir / FILES[0], 2, {})}
    sessions |= {f"INT8 u8, {k}": session(net_dir / FILES[1], 2, c) for k, c in OPTION_SETS.items()}
    for s in sessions.values():
        s.run(None, {"input": x})
    r = rates(sessions, x, args.rounds, args.seconds)
    base = r["FP32 (default)"]
    lines += ["", f"2 threads, images/s, median of {args.rounds} interleaved rounds:", ""]
    lines += ["| session | images/s | vs FP32 |", "|---|---:|---:|"]
    lines += [f"| {k} | {v:,.0f} | {v / base:.2f}x |" for k, v in r.items()]
    with tempfile.TemporaryDirectory() as tmp:
        models = {"FP32": net_dir / FILES[0], **requantized(net_dir, net, data, Path(tmp))}
        xt = preprocess(data.x_test, net.recipe.preprocessing, net.layout).astype(np.float32)
        acc = {}
        for k, p in models.items():
            s = session(p, 2, {})
            probs = np.concatenate(
                [s.run(None, {"input": xt[i : i + 500]})[0] for i in range(0, len(xt), 500)]
            )
            acc[k] = float((probs.argmax(1) == np.asarray(data.y_test)).mean())
        both = {f"{k} @ {t}t": session(p, t, {}) for k, p in models.items() for t in (1, 2)}
        r = rates(both, x, args.rounds, args.seconds)
    lines += ["", "Which ops get Q/DQ (min-max calibration, 500 training images), images/s:", ""]
    lines += ["| model | accuracy | 1 thread | 2 threads | 1 -> 2 |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| {k} | {acc[k]:.2%} | {r[f'{k} @ 1t']:,.0f} | {r[f'{k} @ 2t']:,.0f} | "
        f"{r[f'{k} @ 2t'] / r[f'{k} @ 1t']:.2f}x |"
        for k in models
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"openvino-ort-int8-threads-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"Saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
