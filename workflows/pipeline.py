"""`run_pipeline`: train -> export -> bench for each network, skipping steps whose artifacts are
current (same recipe/config/data for training; the export manifest for ONNX variants)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mnx.bench.records import DEFAULT_BATCH_SIZES, BenchConfig, BenchResults
from mnx.toolkit.options import DEFAULT_BACKENDS, Backend, Precision

DEFAULT_NETWORK = "m31_k3"  # a small CNN: INT8 and batch effects show, trains in seconds
QUICK_EPOCHS = 2
QUICK_LIMIT = 10_000


@dataclass(frozen=True)
class PipelineOptions:
    """`quick` = 2 epochs on 10,000 training images and a 0.5 s bench per combination; an
    existing model trained with the full recipe is kept, never overwritten by a quick one."""

    quick: bool = False
    backends: tuple[Backend, ...] = DEFAULT_BACKENDS
    precisions: tuple[Precision, ...] = tuple(Precision)
    batch_sizes: tuple[int, ...] = DEFAULT_BATCH_SIZES
    duration_s: float | None = None  # None: 0.5 s quick, 2 s otherwise
    threads: int | None = None
    backends_named: bool = False  # the user named the backends: one that cannot run is an error

    def bench_config(self, names: Sequence[str]) -> BenchConfig:
        """The bench step's config, validated (ConfigError) before any training or export."""
        return BenchConfig(
            networks=tuple(names),
            backends=self.backends,
            precisions=self.precisions,
            batch_sizes=self.batch_sizes,
            duration_s=self.duration_s
            if self.duration_s is not None
            else (0.5 if self.quick else 2.0),
            threads=self.threads,
            backends_named=self.backends_named,
        )


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
    from mnx.bench.plan import check_named_backends
    from mnx.bench.run import run_bench
    from mnx.toolkit.data import load_mnist
    from mnx.toolkit.export.pipeline import ExportOptions, export, require_exporters
    from mnx.toolkit.make import ensure_trained
    from mnx.toolkit.train import TrainConfig

    names = list(dict.fromkeys(names)) or [DEFAULT_NETWORK]
    bench_config = options.bench_config(names)  # bad options fail before any work,
    check_named_backends(bench_config)  # as does a named backend this machine cannot run
    for n in names:
        architectures.get(n)  # unknown names fail before any work
    require_exporters()  # so does a missing exporter, not after training
    data = load_mnist()
    steps: list[StepRecord] = []
    full = TrainConfig()
    quick_limit = min(QUICK_LIMIT, len(data.x_train))  # a smaller data set ($MNX_MNIST subset)
    quick = TrainConfig(epochs=QUICK_EPOCHS, limit=quick_limit)
    for n in names:
        wanted = (quick, full) if options.quick else (full,)  # a full model is never replaced
        trained = ensure_trained(n, wanted, root, data, say)
        detail = f"test accuracy {trained.result.test_accuracy:.2%}" if trained.ran else ""
        status = "ran" if trained.ran else "current"
        steps.append(StepRecord(n, "train", status, trained.seconds, detail))
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
    say("benchmarking...")
    results = run_bench(bench_config, root, data=data)
    return PipelineResult(tuple(steps), results)
