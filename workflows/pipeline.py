"""`run_pipeline`: train -> export -> bench for each network, skipping steps whose artifacts are
current (same recipe/config/data for training; the export manifest for ONNX variants)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mnx.bench.records import BenchResults

DEFAULT_NETWORK = "m31_k3"  # a small CNN: INT8 and batch effects show, trains in seconds
QUICK_EPOCHS = 2
QUICK_LIMIT = 10_000


@dataclass(frozen=True)
class PipelineOptions:
    """`quick` = 2 epochs on 10,000 training images and a 0.5 s bench per combination; an
    existing model trained with the full recipe is kept, never overwritten by a quick one."""

    quick: bool = False
    backends: tuple[str, ...] = ("keras", "ort", "ort-cuda", "trt", "openvino")
    precisions: tuple[str, ...] = ("fp32", "fp16", "int8", "bf16")
    batch_sizes: tuple[int, ...] = (1, 32, 256)
    duration_s: float | None = None  # None: 0.5 s quick, 2 s otherwise
    threads: int | None = None


@dataclass(frozen=True)
class StepRecord:
    network: str
    step: str  # "train" | "export"
    status: str  # "ran" | "current"
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class PipelineResult:
    steps: tuple[StepRecord, ...]
    results: BenchResults


def run_pipeline(
    names: Sequence[str],
    options: PipelineOptions,
    root: Path,
    say: Callable[[str], None] = lambda _m: None,
) -> PipelineResult:
    """Train (if not current), export FP32/FP16/INT8 (the exporter skips current files; TensorRT
    engines where TensorRT runs), then bench every variant."""
    from mnx import architectures
    from mnx.bench.run import run_bench
    from mnx.toolkit.data import load_mnist
    from mnx.toolkit.export.pipeline import ExportOptions, export
    from mnx.toolkit.train import TrainConfig, is_trained_current, train

    names = list(dict.fromkeys(names)) or [DEFAULT_NETWORK]
    for n in names:
        architectures.get(n)  # unknown names fail before any work
    data = load_mnist()
    steps: list[StepRecord] = []
    full = TrainConfig()
    quick_limit = min(QUICK_LIMIT, len(data.x_train))  # a smaller data set ($MNX_MNIST subset)
    quick = TrainConfig(epochs=QUICK_EPOCHS, limit=quick_limit)
    for n in names:
        t0 = time.perf_counter()
        wanted = quick if options.quick else full
        current = is_trained_current(n, root, wanted, data.sha256) or (
            options.quick and is_trained_current(n, root, full, data.sha256)
        )
        if current:
            steps.append(StepRecord(n, "train", "current", time.perf_counter() - t0))
            say(f"{n}: trained model is current, not retraining")
        else:
            how = (
                f"{QUICK_EPOCHS} epochs on {quick_limit:,} images"
                if options.quick
                else "the seed recipe"
            )
            say(f"{n}: training with {how}...")
            result = train(n, wanted, root, data=data)
            steps.append(
                StepRecord(
                    n,
                    "train",
                    "ran",
                    time.perf_counter() - t0,
                    f"test accuracy {result.test_accuracy:.2%}",
                )
            )
        t0 = time.perf_counter()
        say(f"{n}: exporting ONNX fp32/fp16/int8 (current files are kept)...")
        report = export(n, ExportOptions(fp16=True, int8=True, trt=None), root)
        statuses = sorted({v.status for v in report.variants})
        steps.append(
            StepRecord(
                n,
                "export",
                "current" if statuses == ["current"] else "ran",
                time.perf_counter() - t0,
                ", ".join(statuses),
            )
        )
    duration = options.duration_s or (0.5 if options.quick else 2.0)
    say("benchmarking...")
    results = run_bench(
        names,
        options.backends,
        options.precisions,
        options.batch_sizes,
        duration_s=duration,
        threads=options.threads,
        root=root,
        data=data,
    )
    return PipelineResult(tuple(steps), results)
