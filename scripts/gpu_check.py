"""End-to-end check of mnx's GPU paths on one GPU machine, from ONNX files it builds itself.

    bash scripts/gpu_check.sh                      # installs what it can, then runs this
    python scripts/gpu_check.py --out results/gpu_check/<UTC>   (PYTHONPATH=src)

Needs only numpy, onnx, onnxruntime (CPU is enough) and cuda-python: no TensorFlow, Keras or
click. Three networks (linear, mlp 512-128, a small CNN; seeded random weights: this checks that
the GPU paths run and agree with ONNX Runtime on CPU, not accuracy) x fp32 / fp16 / int8 (mnx's
TensorRT-form Q/DQ file). Then, each where it can run:
- cuda:     mnx's CUDA helpers (toolkit/runners/cuda.py): buffers, async copies, events, a graph;
- ort-cuda: OrtCudaRunner on every file, outputs vs ONNX Runtime CPU, timed by mnx's harness;
- trt:      an engine per file (a failing one is reported with TensorRT's text, the rest go on),
            TrtRunner with CUDA graphs off/on, transfers included and (trtexec 11) excluded.
Writes summary.json and summary.md under --out; exit status 1 when a check that ran failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

NETWORKS = ("linear", "mlp", "cnn")
PRECISIONS = ("fp32", "fp16", "int8")
BATCHES = (1, 256)
TRT_MODES = (  # (cuda_graph, include_transfers): trtexec 10 default, graphs, trtexec 11 default
    (False, True),
    (True, True),
    (True, False),
)


@dataclass
class Outcome:
    check: str
    status: str  # "ok", "failed", "skipped"
    detail: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


# --- models ---------------------------------------------------------------------------------


def _layers(name: str, rng: np.random.Generator) -> tuple[tuple[int, ...], list[tuple[str, Any]]]:
    """Input shape without batch, and (op, weights) steps of network `name`."""

    def dense(i: int, o: int) -> tuple[str, Any]:
        return "dense", (rng.normal(0, 1 / np.sqrt(i), (i, o)), rng.normal(0, 0.05, o))

    def conv(i: int, o: int) -> tuple[str, Any]:
        return "conv", (rng.normal(0, 1 / np.sqrt(9 * i), (o, i, 3, 3)), rng.normal(0, 0.05, o))

    relu, pool = ("relu", None), ("pool", None)
    if name == "linear":
        return (784,), [dense(784, 10)]
    if name == "mlp":
        return (784,), [dense(784, 512), relu, dense(512, 128), relu, dense(128, 10)]
    return (28, 28, 1), [
        ("nchw", None), conv(1, 8), relu, pool, conv(8, 16), relu, pool,
        ("flatten", None), dense(16 * 7 * 7, 10),
    ]  # fmt: skip


def onnx_model(name: str, half: bool = False, seed: int = 0) -> Any:
    """Network `name` as ONNX: input 'input' (N, ...) float32, output 'output' (N, 10) softmax.
    `half`: float16 weights and math with float32 I/O (as keep_io_types makes them)."""
    from onnx import TensorProto, helper, numpy_helper

    rest, steps = _layers(name, np.random.default_rng(seed))
    dt = np.float16 if half else np.float32
    nodes, inits, x = [], [], "input"
    if half:
        nodes.append(helper.make_node("Cast", [x], ["x16"], to=TensorProto.FLOAT16))
        x = "x16"
    for i, (op, w) in enumerate(steps):
        y = f"t{i}"
        if op in ("dense", "conv"):
            inits += [numpy_helper.from_array(w[0].astype(dt), f"w{i}"),
                      numpy_helper.from_array(w[1].astype(dt), f"b{i}")]  # fmt: skip
            kind = "Gemm" if op == "dense" else "Conv"
            nodes.append(helper.make_node(kind, [x, f"w{i}", f"b{i}"], [y], name=f"{kind.lower()}{i}", **({"pads": [1, 1, 1, 1]} if kind == "Conv" else {})))  # fmt: skip
        elif op == "relu":
            nodes.append(helper.make_node("Relu", [x], [y]))
        elif op == "pool":
            nodes.append(helper.make_node("MaxPool", [x], [y], kernel_shape=[2, 2], strides=[2, 2]))
        elif op == "nchw":
            nodes.append(helper.make_node("Transpose", [x], [y], perm=[0, 3, 1, 2]))
        elif op == "flatten":
            nodes.append(helper.make_node("Flatten", [x], [y], axis=1))
        x = y
    out = "probs16" if half else "output"
    nodes.append(helper.make_node("Softmax", [x], [out], axis=-1))
    if half:
        nodes.append(helper.make_node("Cast", [out], ["output"], to=TensorProto.FLOAT))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *rest])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def input_shape(name: str) -> tuple[int, ...]:
    return (784,) if name in ("linear", "mlp") else (28, 28, 1)


def build_models(out: Path) -> dict[str, dict[str, Path]]:
    """fp32, fp16 and mnx's TensorRT-form int8 file of every network under `out/<name>/`."""
    import onnx

    from mnx.toolkit.export.calibration import CalibrationMethod, compute_ranges
    from mnx.toolkit.export.precision import Int8Encoding, int8_from_onnx, prepare_for_int8

    files: dict[str, dict[str, Path]] = {}
    for name in NETWORKS:
        d = out / name
        d.mkdir(parents=True, exist_ok=True)
        files[name] = {"fp32": d / "model.fp32.onnx", "fp16": d / "model.fp16.onnx"}
        onnx.save(onnx_model(name), str(files[name]["fp32"]))
        onnx.save(onnx_model(name, half=True), str(files[name]["fp16"]))
        prepared = prepare_for_int8(files[name]["fp32"], d / "prepared.onnx")
        x = np.random.default_rng(1).random((128, *input_shape(name)), dtype=np.float32)
        ranges = compute_ranges(prepared, x, CalibrationMethod.MINMAX)
        files[name]["int8"] = d / Int8Encoding.S8.filename
        int8_from_onnx(
            prepared, files[name]["int8"], ranges, CalibrationMethod.MINMAX, Int8Encoding.S8
        )
    return files


def cpu_reference(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(["output"], {"input": x})[0]


# --- checks ---------------------------------------------------------------------------------


def check_cuda() -> Outcome:
    from mnx.toolkit.gpu import cuda_problem, cuda_versions
    from mnx.toolkit.runners import cuda

    try:
        cuda.load_cudart()
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return Outcome("cuda", "skipped", str(exc))
    problem = cuda_problem()
    if problem is not None:  # e.g. the driver is older than cuda-python's runtime
        return Outcome("cuda", "failed", problem)
    driver, runtime = cuda_versions()
    x = np.arange(1 << 16, dtype=np.float32)
    dev = cuda.DeviceBuffer(x.nbytes)
    host = cuda.PinnedBuffer(x.shape, np.float32)
    back = cuda.PinnedBuffer(x.shape, np.float32)
    stream, start, end = cuda.Stream(), cuda.Event(), cuda.Event()
    try:
        np.copyto(host.array, x)
        start.record(stream)
        cuda.memcpy_htod_async(dev, host.array, stream)
        cuda.memcpy_dtoh_async(back.array, dev, stream)
        end.record(stream)
        stream.synchronize()
        copy_ok = bool(np.array_equal(back.array, x))
        ms = end.elapsed_ms(start)
        back.array[...] = 0
        graph = cuda.Graph.capture(stream, lambda: cuda.memcpy_dtoh_async(back.array, dev, stream))
        graph.launch(stream)
        stream.synchronize()
        graph_ok = bool(np.array_equal(back.array, x))
        graph.close()
    finally:
        for obj in (dev, host, back, stream, start, end):
            (obj.free if hasattr(obj, "free") else obj.close)()
    ok = copy_ok and graph_ok and ms >= 0
    detail = (
        f"round trip {'ok' if copy_ok else 'WRONG'}, graph replay {'ok' if graph_ok else 'WRONG'}"
    )
    figs = {"h2d_d2h_256KiB_ms": round(ms, 4), "driver_cuda": driver, "runtime_cuda": runtime}
    return Outcome("cuda", "ok" if ok else "failed", detail, figs)


def _bench(runner: Any, x: np.ndarray) -> dict[str, Any]:
    from mnx.bench.harness import HarnessConfig, measure

    m = measure(runner, x, HarnessConfig(duration_s=None, iterations=200, warmup_iterations=20))
    lat = m.latencies_ns / 1e6
    comp = m.compute_ms[~np.isnan(m.compute_ms)]
    return {
        "p50_ms": round(float(np.median(lat)), 4),
        "images_per_s": round(len(x) / float(np.mean(lat)) * 1e3, 1),
        "compute_p50_ms": round(float(np.median(comp)), 4) if comp.size else None,
    }


def _compare(out: np.ndarray, ref: np.ndarray, precision: str) -> tuple[bool, str]:
    # fp16 / int8 change the arithmetic: top-1 agreement, not equality, is what must hold
    agree = float((out.argmax(1) == ref.argmax(1)).mean())
    diff = float(np.abs(out - ref).max())
    need = 0.999 if precision == "fp32" else 0.9
    return agree >= need, f"agreement {agree:.3f}, max |diff| {diff:.2e}"


def check_ort_cuda(files: dict[str, dict[str, Path]]) -> list[Outcome]:
    from mnx.toolkit.runners.ort_cuda import OrtCudaRunner

    out = []
    for name, by in files.items():
        x = np.random.default_rng(2).random((max(BATCHES), *input_shape(name)), dtype=np.float32)
        for precision, path in by.items():
            label = f"ort-cuda {name} {precision}"
            try:
                with OrtCudaRunner(path) as runner:
                    ok, detail = _compare(runner.infer(x), cpu_reference(path, x), precision)
                    figs = {f"batch{b}": _bench(runner, x[:b]) for b in BATCHES}
                out.append(Outcome(label, "ok" if ok else "failed", detail, figs))
            except Exception as exc:  # noqa: BLE001 - each file reported on its own
                from mnx.errors import MissingDependencyError

                status = "skipped" if isinstance(exc, MissingDependencyError) else "failed"
                out.append(Outcome(label, status, f"{type(exc).__name__}: {exc}"))
                if status == "skipped":
                    return out  # the provider is missing: the same for every file
    return out


def check_trt(files: dict[str, dict[str, Path]], engines: Path) -> list[Outcome]:
    from mnx.toolkit.export.tensorrt import EngineOptions, engine_from_onnx
    from mnx.toolkit.gpu import load_tensorrt, require_gpu
    from mnx.toolkit.runners.trt import TrtRunner

    try:
        trt = load_tensorrt()
        require_gpu()
    except Exception as exc:  # noqa: BLE001 - no TensorRT or no usable GPU: say which
        return [Outcome("trt", "skipped", str(exc))]
    options = EngineOptions(opt_batch=min(32, max(BATCHES)), max_batch=max(BATCHES))
    out = []
    for name, by in files.items():
        x = np.random.default_rng(2).random((max(BATCHES), *input_shape(name)), dtype=np.float32)
        for precision, path in by.items():
            label = f"trt {trt.__version__} {name} {precision}"
            engine = engines / name / f"model.{precision}.engine"
            try:
                build_s = engine_from_onnx(path, engine, precision, options)
            except Exception as exc:  # noqa: BLE001 - one failing engine never stops the rest
                out.append(Outcome(label, "failed", f"build: {exc}"))
                continue
            figs: dict[str, Any] = {"build_s": round(build_s, 2)}
            ok, detail = True, ""
            for graph, transfers in TRT_MODES:
                mode = f"graph={'on' if graph else 'off'},transfers={'in' if transfers else 'out'}"
                with TrtRunner(
                    engine, verify=False, use_cuda_graph=graph, include_transfers=transfers
                ) as r:
                    good, detail = _compare(r.infer(x), cpu_reference(path, x), precision)
                    ok = ok and good
                    figs[mode] = {
                        f"batch{b}": _bench(r, np.ascontiguousarray(x[:b])) for b in BATCHES
                    }
                    figs[mode]["captures"] = r.captures
            out.append(Outcome(label, "ok" if ok else "failed", detail, figs))
    return out


# --- main -----------------------------------------------------------------------------------


def run(out: Path) -> list[Outcome]:
    from mnx.toolkit.doctor import doctor

    out.mkdir(parents=True, exist_ok=True)
    machine = doctor(cheap=True)
    (out / "machine.json").write_text(json.dumps(machine.to_dict(), indent=1))
    print(machine.render(), flush=True)
    files = build_models(out / "models")
    results: list[Outcome] = []
    steps = {
        "cuda": lambda: [check_cuda()],
        "ort-cuda": lambda: check_ort_cuda(files),
        "trt": lambda: check_trt(files, out / "engines"),
    }
    for label, step in steps.items():
        try:
            results += step()
        except Exception:  # noqa: BLE001 - a crash is a failed check, with its traceback
            results.append(Outcome(label, "failed", traceback.format_exc()))
    write_summary(out, results)
    return results


def write_summary(out: Path, results: list[Outcome]) -> None:
    (out / "summary.json").write_text(json.dumps([asdict(r) for r in results], indent=1))
    lines = ["| check | status | detail | figures |", "|---|---|---|---|"]
    for r in results:
        figs = json.dumps(r.figures) if r.figures else ""
        lines.append(
            f"| {r.check} | {r.status} | {r.detail.splitlines()[0] if r.detail else ''} | {figs} |"
        )
    (out / "summary.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    ap.add_argument("--out", type=Path, default=Path("results") / "gpu_check" / stamp)
    args = ap.parse_args()
    results = run(args.out)
    for r in results:
        print(f"{r.status:8} {r.check}: {r.detail.splitlines()[0] if r.detail else ''}")
    print(f"results: {args.out}")
    ran = [r for r in results if r.status != "skipped"]
    return 1 if any(r.status == "failed" for r in results) or not ran else 0


if __name__ == "__main__":
    sys.exit(main())
