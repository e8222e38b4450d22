"""Why ONNX Runtime's INT8 does not scale from 1 to 2 threads: per-op profiles, and session options.

    python -m studies.ort_int8_threads --artifacts /tmp/ov-art            # cnn1, batch 256

Part 1: ORT's own profiler (`SessionOptions.enable_profiling`) on model.fp32.onnx and
model.int8.u8.onnx at 1 and 2 intra-op threads: the mean time per call of each op type, and
the 1 -> 2 thread speed-up per op type. Part 2: images/s of the INT8 file at 2 threads under
session options mnx could set (spinning, the thread pool's dynamic block size, the optimization
level), in interleaved rounds, against FP32 at 2 threads. Writes results/openvino-ort-int8-*.md
(the OpenVINO issue asked for it).
"""

from __future__ import annotations

import argparse
import json
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
        so.profile_file_prefix = str(profile_dir / "ort")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def op_profile(path: Path, threads: int, x: np.ndarray, calls: int, warm: int = 5) -> dict:
    """Mean microseconds per call spent in each op type (ORT's profiler, warm-up calls left out
    by their start time)."""
    with tempfile.TemporaryDirectory() as tmp:
        s = session(path, threads, {}, Path(tmp))
        for _ in range(warm + calls):
            s.run(None, {"input": x})
        events = json.loads(Path(s.end_profiling()).read_text())
    runs = sorted(
        (e for e in events if e.get("cat") == "Session" and e["name"] == "model_run"),
        key=lambda e: e["ts"],
    )[warm:]
    cutoff = runs[0]["ts"]
    per_op: dict[str, float] = defaultdict(float)
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= cutoff:
            per_op[e["args"]["op_name"]] += float(e["dur"]) / len(runs)
    per_op["(session.run)"] = statistics.median(float(e["dur"]) for e in runs)
    return dict(per_op)


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
    x = np.ascontiguousarray(
        preprocess(load_mnist().x_test[: args.batch], net.recipe.preprocessing, net.layout),
        np.float32,
    )
    prof = {(f, t): op_profile(net_dir / f, t, x, args.calls) for f in FILES for t in (1, 2)}
    lines = [
        f"# ONNX Runtime INT8 vs FP32 from 1 to 2 threads ({args.name}, batch {args.batch})",
        "",
        f"Command: `python -m studies.ort_int8_threads {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; CPU {versions().get('cpu', '?')}; "
        f"onnxruntime {versions().get('onnxruntime', '?')}. Per-op: ORT's profiler, mean µs per "
        f"call over {args.calls} calls.",
        "",
        "| file | op type | 1 thread µs | 2 threads µs | speed-up |",
        "|---|---|---:|---:|---:|",
    ]
    for f in FILES:
        one, two = prof[(f, 1)], prof[(f, 2)]
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
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"openvino-ort-int8-threads-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"Saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
