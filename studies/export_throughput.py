"""ONNX Runtime CPU throughput of the exported precisions, side by side.

    python -m studies.export_throughput                      # mlp_512_128, conv5_bn, cnn9
    python -m studies.export_throughput m31_k3 --train-epochs 1 --train-limit 10000

For each network: FP32, FP16, INT8 s8 (symmetric, TensorRT's encoding) and INT8 u8 (uint8
activations) at batch 256, measured in interleaved rounds in ONE process (so machine drift hits
every variant alike), reporting images/s (median over rounds), the ratio to FP32 and the
accuracy change on the test set. A network with no model.keras is first trained briefly
(--train-epochs, stated in the table). Writes a Markdown table under results/.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_NETWORKS = ("mlp_512_128", "conv5_bn", "cnn9")
VARIANTS = ("fp32", "fp16", "int8", "int8.u8")
RESULTS = Path(__file__).resolve().parents[1] / "results"


@dataclass(frozen=True)
class Row:
    network: str
    variant: str
    images_per_s: float
    ratio_vs_fp32: float
    accuracy: float | None
    accuracy_delta_pp: float | None  # vs the FP32 ONNX model, same test images
    bytes: int
    trained_epochs: str


def _session(path: Path, threads: int | None):  # type: ignore[no-untyped-def]
    from mnx.toolkit.runners.ort import make_session

    return make_session(path, threads)


def _ensure_exported(name: str, root: Path, epochs: int, limit: int | None, samples: int) -> str:
    """Train (briefly) if needed, export fp16+int8; returns how the model was trained."""
    from mnx.toolkit.artifacts import read_json
    from mnx.toolkit.export.pipeline import ExportOptions, export

    net_dir = root / name
    if not (net_dir / "model.keras").exists():
        from mnx.toolkit.train import TrainConfig, train

        print(f"{name}: training {epochs} epoch(s){f' on {limit} images' if limit else ''}")
        train(name, TrainConfig(epochs=epochs, limit=limit, seed=0), root)
    export(
        name,
        ExportOptions(fp16=True, int8=True, calibration_samples=samples, trt=False),
        root,
        progress=lambda m: print(f"{name}: {m}"),
    )
    try:
        info = read_json(net_dir / "train.json")
        ep = info.get("epochs") or info.get("config", {}).get("epochs")
        lim = info.get("limit") or info.get("config", {}).get("limit")
        return f"{ep}" + (f" (on {lim} imgs)" if lim else "")
    except Exception:  # train.json written by another tool or missing: just say unknown
        return "?"


def measure(
    name: str,
    root: Path,
    batch: int,
    rounds: int,
    seconds: float,
    threads: int | None,
    epochs_note: str,
) -> list[Row]:
    from mnx import architectures
    from mnx.toolkit.artifacts import artifact_record
    from mnx.toolkit.data import load_mnist, preprocess

    net = architectures.get(name)
    x = preprocess(load_mnist().x_test[:batch], net.recipe.preprocessing, net.layout)
    paths = {v: root / name / f"model.{v}.onnx" for v in VARIANTS}
    sessions = {v: _session(p, threads) for v, p in paths.items()}
    for s in sessions.values():  # warm-up: first runs allocate and pick kernels
        for _ in range(3):
            s.run(["output"], {"input": x})
    rates: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(rounds):
        for v, s in sessions.items():
            n, start = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds:
                s.run(["output"], {"input": x})
                n += 1
            rates[v].append(n * batch / elapsed)
    acc = {}
    for v, p in paths.items():
        rec = artifact_record(p.parent, p.name) or {}
        acc[v] = (rec.get("export", {}).get("parity") or {}).get("accuracy")
    fp32_rate = statistics.median(rates["fp32"])
    rows = []
    for v in VARIANTS:
        rate = statistics.median(rates[v])
        delta = None if acc[v] is None or acc["fp32"] is None else (acc[v] - acc["fp32"]) * 100
        rows.append(
            Row(
                name, v, rate, rate / fp32_rate, acc[v], delta, paths[v].stat().st_size, epochs_note
            )
        )
    return rows


def markdown(rows: list[Row], header: str) -> str:
    lines = [
        header,
        "",
        "| network | epochs | variant | img/s | vs FP32 | accuracy | Δ acc (pp) | size |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        acc = "-" if r.accuracy is None else f"{r.accuracy:.2%}"
        delta = "-" if r.accuracy_delta_pp is None else f"{r.accuracy_delta_pp:+.2f}"
        lines.append(
            f"| {r.network} | {r.trained_epochs} | {r.variant} | {r.images_per_s:,.0f} | "
            f"{r.ratio_vs_fp32:.2f}x | {acc} | {delta} | {r.bytes / 1024:.0f} KiB |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from mnx.toolkit.artifacts import artifacts_root
    from mnx.toolkit.versions import versions

    ap = argparse.ArgumentParser(
        prog="python -m studies.export_throughput",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("names", nargs="*", default=list(DEFAULT_NETWORKS))
    ap.add_argument("--artifacts", type=Path, default=None)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0, help="per variant per round")
    ap.add_argument(
        "--threads", type=int, default=None, help="ORT intra-op threads (default: ORT's)"
    )
    ap.add_argument("--train-epochs", type=int, default=1, help="for networks not trained yet")
    ap.add_argument("--train-limit", type=int, default=None, help="training images for those")
    ap.add_argument("--calibration-samples", type=int, default=1000)
    args = ap.parse_args(argv)

    root = artifacts_root(args.artifacts)
    rows: list[Row] = []
    for name in args.names:
        note = _ensure_exported(
            name, root, args.train_epochs, args.train_limit, args.calibration_samples
        )
        rows += measure(name, root, args.batch, args.rounds, args.seconds, args.threads, note)
    v = versions()
    header = (
        f"# ONNX Runtime CPU throughput by precision (batch {args.batch})\n\n"
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; CPU {v.get('cpu', '?')}; "
        f"onnxruntime {v.get('onnxruntime', '?')}; threads {args.threads or 'ORT default'}; "
        f"median of {args.rounds} interleaved rounds x {args.seconds:g} s. Accuracy on the "
        f"full test set; Δ vs the FP32 ONNX model. INT8 = symmetric s8 (TensorRT form), "
        f"int8.u8 = uint8 activations (ORT CPU form); {args.calibration_samples} "
        f"calibration images (entropy)."
    )
    text = markdown(rows, header)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"export_throughput-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"Saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
