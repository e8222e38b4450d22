"""Before/after figures for the INT8 files: the TensorRT form (model.int8.onnx) and the ONNX
Runtime CPU form (model.int8.u8.onnx), from one calibration per network.

    python scripts/measure_int8_forms.py --root /tmp/int8-forms cnn1 mlp_512_128 m31_k3

Trains each network (1 epoch on the committed MNIST subset, or `--epochs`) unless
`<root>/<name>/model.keras` exists, exports FP32, calibrates once, then writes three files:
"s8-before" (INT32 biases, every op type ORT quantizes: the old TensorRT form), "s8" (float
biases, weighted layers only: the new TensorRT form) and "u8" (unchanged). For each it prints
INT32 DequantizeLinear inputs, Q/DQ node counts, top-1 accuracy on the test images and agreement
with FP32, and ORT CPU images/s at batch 256 measured round-robin in one process (the ratios
between files are what to read; absolute figures move with machine load).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

SUBSET = Path(__file__).resolve().parents[1] / "tests" / "data" / "mnist_subset.npz"


def _files(name: str, root: Path, epochs: int, samples: int) -> tuple[dict[str, Path], Any]:
    from mnx import architectures
    from mnx.toolkit.data import load_mnist, preprocess
    from mnx.toolkit.export.calibration import CalibrationMethod, compute_ranges, select_samples
    from mnx.toolkit.export.onnx import onnx_from_keras
    from mnx.toolkit.export.precision import Int8Encoding, int8_from_onnx, prepare_for_int8
    from mnx.toolkit.train import TrainConfig, train

    data = load_mnist(Path(os.environ.get("MNX_MNIST", SUBSET)), fetch=False)
    net = architectures.get(name)
    if not (root / name / "model.keras").exists():
        train(name, TrainConfig(epochs=epochs, seed=0), root, data=data, verbose=0)
    out = root / name / "forms"
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "model.fp32.onnx"
    onnx_from_keras(root / name / "model.keras", fp32)
    prepared = prepare_for_int8(fp32, out / "prepared.onnx")
    x_cal = preprocess(
        select_samples(data.x_train, samples, 0), net.recipe.preprocessing, net.layout
    )
    method = CalibrationMethod.ENTROPY
    ranges = compute_ranges(prepared, x_cal, method)
    files = {"fp32": fp32}
    for label, enc in (("s8", Int8Encoding.S8), ("u8", Int8Encoding.U8)):
        files[label] = out / f"{label}.onnx"
        int8_from_onnx(prepared, files[label], ranges, method, enc)
    from mnx.toolkit.export.calibration import quantized_op_types

    with (
        mock.patch.object(Int8Encoding, "quantize_bias", property(lambda self: True)),
        mock.patch.object(Int8Encoding, "op_types", lambda self: tuple(quantized_op_types())),
    ):
        files["s8-before"] = out / "s8-before.onnx"
        int8_from_onnx(prepared, files["s8-before"], ranges, method, Int8Encoding.S8)
    x_test = preprocess(data.x_test, net.recipe.preprocessing, net.layout)
    return files, (x_test, data.y_test)


def _int32_dq(path: Path) -> tuple[int, int, int]:
    import onnx

    model = onnx.load_model(str(path))
    types = {i.name: i.data_type for i in model.graph.initializer}
    dq = [n for n in model.graph.node if n.op_type == "DequantizeLinear"]
    q = [n for n in model.graph.node if n.op_type == "QuantizeLinear"]
    int32 = sum(types.get(n.input[0]) == onnx.TensorProto.INT32 for n in dq)
    return int32, len(q), len(dq)


def _speed(sessions: dict[str, Any], x: np.ndarray, rounds: int) -> dict[str, float]:
    batch = np.ascontiguousarray(x[:256])
    best = {k: 0.0 for k in sessions}
    for _ in range(rounds):  # round-robin: load changes hit every file alike
        for label, sess in sessions.items():
            sess.run(None, {"input": batch})
            start = time.perf_counter()
            for _ in range(5):
                sess.run(None, {"input": batch})
            best[label] = max(best[label], 5 * len(batch) / (time.perf_counter() - start))
    return best


def main() -> None:
    import onnxruntime as ort

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="+")
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    for name in args.names:
        files, (x, y) = _files(name, args.root, args.epochs, args.samples)
        sessions = {
            k: ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
            for k, p in files.items()
        }
        preds = {
            k: np.concatenate(
                [s.run(None, {"input": x[i : i + 500]})[0].argmax(1) for i in range(0, len(x), 500)]
            )
            for k, s in sessions.items()
        }
        speed = _speed(sessions, x, args.rounds)
        print(f"\n{name} ({len(y)} test images; ORT CPU, 1 thread, batch 256)")
        print(
            f"{'file':10} {'int32 DQ':>8} {'Q':>4} {'DQ':>4} {'top-1 %':>8} {'agree %':>8}"
            f" {'img/s':>9} {'vs fp32':>8}"
        )
        for k, p in files.items():
            i32, nq, ndq = _int32_dq(p)
            acc = 100 * float((preds[k] == y).mean())
            agree = 100 * float((preds[k] == preds["fp32"]).mean())
            print(
                f"{k:10} {i32:8d} {nq:4d} {ndq:4d} {acc:8.2f} {agree:8.2f} {speed[k]:9.0f}"
                f" {speed[k] / speed['fp32']:7.2f}x"
            )


if __name__ == "__main__":
    main()
