"""`run_bench`: every requested network x backend x precision x batch size, measured or skipped
with a reason, into one `BenchResults`."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mnx.bench.accuracy import EVAL_BATCH, keras_reference, predict_all, score
from mnx.bench.external import FileOptions, bench_plans, plan_files, split_names
from mnx.bench.harness import HarnessConfig, measure
from mnx.bench.records import BenchConfig, BenchResults, BenchRow, Provenance, clean_float
from mnx.bench.stats import LatencyStats, device_stats, throughput, timing_warnings
from mnx.bench.variants import (
    BACKENDS,
    PRECISIONS,
    Variant,
    check_batch_sizes,
    gpu_name,
    parse_backends,
    parse_precisions,
    resolve,
)
from mnx.errors import MissingArtifactError, MnxError, UnknownNameError, UsageError

DEFAULT_BATCH_SIZES = (1, 32, 256)


def trained_networks(root: Path) -> list[str]:
    """Registered networks that have a model.keras under `root`, in registry order, then those
    trained from an --arch-file (toolkit.user_archs re-registers them by name), then Keras files
    exported with `mnx export FILE.keras` (bench.external)."""
    from mnx import architectures
    from mnx.toolkit.user_archs import remembered_names

    known = [n for n in architectures.names() if (root / n / "model.keras").is_file()]
    known += [n for n in remembered_names(root) if n not in known]
    from mnx.bench.external import adopted_names

    return known + [n for n in adopted_names(root) if n not in known]


def run_bench(
    names: Sequence[str],
    backends: Sequence[str] = BACKENDS,
    precisions: Sequence[str] = PRECISIONS,
    batch_sizes: Sequence[int] = DEFAULT_BATCH_SIZES,
    duration_s: float | None = 2.0,
    iterations: int | None = None,
    warmup: int = 0,
    threads: int | None = None,
    root: Path | None = None,
    *,
    warmup_s: float = 0.2,
    eval_limit: int | None = None,
    progress: bool = True,
    data: Any = None,
    keras_mode: str = "predict_on_batch",
    files: FileOptions | None = None,
) -> BenchResults:
    """Benchmark accuracy, latency, throughput and size of every requested combination.

    Combinations that exist but cannot run here (TensorRT absent, no GPU, not exported) become
    rows with `skipped_reason`. A network that is not trained raises MissingArtifactError naming
    the command; if nothing at all could run because exports are missing, that is an error too.
    `data` (a toolkit.data.Mnist) defaults to `load_mnist()`; `eval_limit` evaluates only the first
    N test images. `keras_mode` picks the timed Keras call: "predict_on_batch" or "function"
    (a compiled tf.function); never `model.predict`. Names that are model files (.onnx) are
    benched as they are (bench.external), fed per `files` (--shapes, --preprocess, --data).
    """
    from mnx.toolkit.artifacts import artifacts_root, utc_now

    root = root or artifacts_root()
    from mnx.toolkit.runners.keras_runner import MODES

    if keras_mode not in MODES:
        raise UnknownNameError("Keras mode", keras_mode, MODES, hint="pass --keras-mode")
    config = _config(
        names,
        backends,
        precisions,
        batch_sizes,
        duration_s,
        iterations,
        warmup,
        warmup_s,
        threads,
        eval_limit,
    )
    harness = HarnessConfig(
        duration_s=config.duration_s,
        iterations=config.iterations,
        warmup_iterations=config.warmup_iterations,
        warmup_s=config.warmup_s,
    )
    from mnx import architectures

    model_files, registered = split_names(config.networks, root, config.precisions)
    nets = [architectures.get(n) for n in registered]  # unknown names fail before work

    def mnist() -> Any:
        nonlocal data
        if data is None:
            from mnx.toolkit.data import load_mnist

            data = load_mnist()
        return data

    file_options = files or FileOptions()
    plans = plan_files(model_files, config, file_options, mnist)
    for net in nets:
        if not (root / net.name / "model.keras").is_file():
            raise MissingArtifactError(
                f"'{net.name}' is not trained: no model.keras in '{root / net.name}'",
                expected="a trained network (model.keras) under the artifacts directory",
                fix=f"run `mnx train {net.name}` (or `mnx pipeline {net.name} --quick`)",
            )
    variants = [
        v
        for net in nets
        for b in config.backends
        for p in config.precisions
        if (v := resolve(net.name, b, p, root / net.name, threads=threads, keras_mode=keras_mode))
        is not None
    ]
    if nets and not variants:
        raise UsageError(
            "No combination to run: Keras runs the FP32 model only",
            expected="--precision fp32 with --backend keras, or an ONNX/TensorRT backend",
            fix="add fp32 to --precision or another --backend",
        )
    runnable = [v for v in variants if v.make_runner is not None]
    if (
        not runnable
        and not model_files
        and any("mnx export" in (v.skipped_reason or "") for v in variants)
    ):
        first = next(v for v in variants if "mnx export" in (v.skipped_reason or ""))
        raise MissingArtifactError(
            f"Nothing to benchmark: {first.network} {first.backend} {first.precision} is "
            f"{first.skipped_reason}",
            expected="exported ONNX models (or TensorRT engines) for the requested variants",
            fix=(first.skipped_reason or "").split("run ", 1)[-1],
        )

    if nets:
        mnist()
    rows: list[BenchRow] = []
    providers_seen: list[str] = []
    with _Progress(progress, total=len(runnable) * len(config.batch_sizes)) as bar:
        for net in nets:
            mine = [v for v in variants if v.network == net.name]
            if not mine:
                continue
            x, y = _test_set(net, data, eval_limit)
            reference = None
            if any(v.make_runner for v in mine):
                net_dir = root / net.name
                reference = keras_reference(
                    net_dir / "model.keras", x, data.sha256, net_dir / "bench_cache"
                )
            info = _NetInfo(net, root / net.name)
            for v in mine:
                if v.make_runner is None:
                    rows.append(_skipped(v, v.skipped_reason or "cannot run here"))
                    continue
                assert reference is not None
                new_rows = _bench_variant(v, x, y, reference, config, harness, info, bar)
                rows.extend(new_rows)
                for r in new_rows:
                    providers_seen += [p for p in r.providers if p not in providers_seen]
    for r in bench_plans(plans, config, harness, file_options):
        rows.append(r)
        providers_seen += [p for p in r.providers if p not in providers_seen]
    from mnx.toolkit import __version__
    from mnx.toolkit.versions import cpu_model, git_commit, versions

    vers = versions()
    provenance = Provenance(
        created_utc=utc_now(),
        mnx_version=vers.get("mnx", __version__),
        versions=vers,
        cpu=cpu_model(),
        gpu=gpu_name(),
        threads=threads,
        providers=tuple(providers_seen),
        git_commit=git_commit(),
        platform=vers.get("platform"),
    )
    return BenchResults(provenance=provenance, config=config, rows=tuple(rows))


def _config(
    names: Sequence[str],
    backends: Sequence[str],
    precisions: Sequence[str],
    batch_sizes: Sequence[int],
    duration_s: float | None,
    iterations: int | None,
    warmup: int,
    warmup_s: float,
    threads: int | None,
    eval_limit: int | None,
) -> BenchConfig:
    if not names:
        raise UsageError(
            "No network given",
            expected="one or more network names, or --all",
            fix="e.g. `mnx bench linear` (see `mnx list`)",
        )
    if iterations is not None:
        duration_s = None
    if duration_s is not None and not duration_s > 0:
        raise UsageError(
            f"Duration {duration_s} s is not positive",
            expected="a duration in seconds > 0",
            fix="pass e.g. --duration 2",
        )
    if iterations is not None and iterations < 1:
        raise UsageError(
            f"Iterations {iterations} is not positive",
            expected="a whole number >= 1",
            fix="pass e.g. --iterations 200",
        )
    if warmup < 0 or warmup_s < 0:
        raise UsageError(
            "Warm-up cannot be negative",
            expected="a count >= 0 or seconds >= 0",
            fix="pass e.g. --warmup 10 or --warmup 0.2s",
        )
    if threads is not None and threads < 1:
        raise UsageError(
            f"Threads {threads} is not positive",
            expected="a whole number >= 1",
            fix="pass e.g. --threads 2, or leave it out for the runtime default",
        )
    if eval_limit is not None and eval_limit < 1:
        raise UsageError(
            f"Evaluation limit {eval_limit} is not positive",
            expected="a number of test images >= 1",
            fix="leave it out for all",
        )
    return BenchConfig(
        networks=tuple(dict.fromkeys(names)),
        backends=parse_backends(list(backends)),
        precisions=parse_precisions(list(precisions)),
        batch_sizes=check_batch_sizes(list(batch_sizes)),
        duration_s=duration_s,
        iterations=iterations,
        warmup_iterations=warmup,
        warmup_s=warmup_s,
        threads=threads,
        eval_limit=eval_limit,
    )


class _NetInfo:
    """Per-network size facts, computed lazily once."""

    def __init__(self, net: Any, net_dir: Path) -> None:
        self.net = net
        self.net_dir = net_dir
        self._flops: int | None | bool = False

    @property
    def params(self) -> int | None:
        from mnx.toolkit.artifacts import read_json

        train_json = self.net_dir / "train.json"
        if train_json.is_file():
            p = read_json(train_json).get("params")
            if isinstance(p, int):
                return p
        return self.net.params

    def flops(self, runner: Any) -> int | None:
        if self._flops is False:
            from mnx.bench.flops import keras_flops_per_image, onnx_flops_per_image

            fp32 = self.net_dir / "model.fp32.onnx"
            value: int | None = None
            if fp32.is_file():
                value = onnx_flops_per_image(fp32)
            if value is None and getattr(runner, "model", None) is not None:
                value = keras_flops_per_image(runner.model)
            self._flops = value
        return self._flops  # type: ignore[return-value]


def _test_set(net: Any, data: Any, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    from mnx.toolkit.data import preprocess

    xs, ys = data.x_test, data.y_test
    if limit is not None:
        xs, ys = xs[:limit], ys[:limit]
    x = np.ascontiguousarray(preprocess(xs, net.recipe.preprocessing, net.layout), np.float32)
    return x, np.asarray(ys).astype(np.int64)


def _batch(x: np.ndarray, batch_size: int) -> np.ndarray:
    """The first `batch_size` test images (repeated when the set is smaller), contiguous."""
    reps = -(-batch_size // len(x))
    xb = np.concatenate([x] * reps, axis=0)[:batch_size] if reps > 1 else x[:batch_size]
    return np.ascontiguousarray(xb, dtype=np.float32)


def _skipped(v: Variant, reason: str) -> BenchRow:
    return BenchRow(
        network=v.network,
        backend=v.backend,
        precision=v.precision,
        batch_size=None,
        skipped_reason=reason,
        note=v.note,
        model_file=v.model_file.name if v.model_file else None,
    )


def _bench_variant(
    v: Variant,
    x: np.ndarray,
    y: np.ndarray,
    reference: np.ndarray,
    config: BenchConfig,
    harness: HarnessConfig,
    info: _NetInfo,
    bar: Any,
) -> list[BenchRow]:
    assert v.make_runner is not None
    runner = v.make_runner()
    _import_framework(v.backend)  # cold start = load + first call, not a library import
    try:
        t0 = time.perf_counter_ns()
        runner.load()
        runner.is_loaded = True
        t1 = time.perf_counter_ns()
        runner.infer(_batch(x, 1))
        t2 = time.perf_counter_ns()
    except MnxError as exc:  # e.g. a GPU library that imports but cannot initialise
        runner.close()
        bar.advance(len(config.batch_sizes))
        return [_skipped(v, exc.render())]
    try:
        load_ms, first_ms = (t1 - t0) / 1e6, (t2 - t1) / 1e6
        max_batch = getattr(runner, "max_batch", None)  # TensorRT: the profile's max batch
        eval_batch = min(EVAL_BATCH, max_batch or EVAL_BATCH)
        acc = score(predict_all(runner, x, eval_batch), y, reference)
        providers = tuple(runner.providers())
        requested = list(
            getattr(runner, "requested_providers", None)
            or ([runner.provider] if hasattr(runner, "provider") else [])
        )
        model_bytes = (
            v.model_file.stat().st_size if v.model_file and v.model_file.is_file() else None
        )
        flops = info.flops(runner)
        rows = []
        for b in config.batch_sizes:
            bar.describe(f"{v.network} {v.backend} {v.precision} batch {b}")
            if max_batch and b > max_batch:
                reason = (
                    f"batch {b} exceeds the engine's max batch {max_batch}: rebuild it "
                    f"with `mnx export {v.network} --trt --max-batch {b}`"
                )
                rows.append(dataclasses.replace(_skipped(v, reason), batch_size=b))
                bar.advance(1)
                continue
            m = measure(runner, _batch(x, b), harness)
            stats = LatencyStats.from_ns(m.latencies_ns)
            tp = throughput(stats, b)
            dev = device_stats(m.h2d_ms, m.compute_ms, m.d2h_ms)
            warns = timing_warnings(stats, dev, requested, list(providers) if requested else None)
            rows.append(
                BenchRow(
                    network=v.network,
                    backend=v.backend,
                    precision=v.precision,
                    batch_size=b,
                    note=v.note,
                    model_file=v.model_file.name if v.model_file else None,
                    timed_scope=runner.timed_scope,
                    providers=providers,
                    eval_images=acc.images,
                    accuracy=acc.accuracy,
                    agreement=acc.agreement,
                    max_abs_diff=acc.max_abs_diff,
                    iterations=stats.count,
                    warmup_iterations=m.warmup_iterations,
                    min_ms=stats.min_ms,
                    mean_ms=stats.mean_ms,
                    std_ms=stats.std_ms,
                    p50_ms=stats.p50_ms,
                    p90_ms=stats.p90_ms,
                    p95_ms=stats.p95_ms,
                    p99_ms=stats.p99_ms,
                    p999_ms=stats.p999_ms,
                    max_ms=stats.max_ms,
                    cov=clean_float(stats.cov),
                    h2d_ms=dev.h2d_ms if dev else None,
                    compute_ms=dev.compute_ms if dev else None,
                    d2h_ms=dev.d2h_ms if dev else None,
                    inferences_per_s=clean_float(tp.inferences_per_s),
                    images_per_s=clean_float(tp.images_per_s),
                    params=info.params,
                    model_bytes=model_bytes,
                    flops_per_image=flops,
                    gflop_per_s=clean_float(flops * tp.images_per_s / 1e9) if flops else None,
                    load_ms=load_ms,
                    first_inference_ms=first_ms,
                    cold_start_ms=load_ms + first_ms,
                    warnings=tuple(warns),
                )
            )
            bar.advance(1)
        return rows
    finally:
        runner.close()


def _import_framework(backend: str) -> None:
    if backend == "keras":
        import keras  # noqa: F401
    elif backend in ("ort", "ort-cuda"):
        import contextlib

        with contextlib.suppress(ImportError):  # the runner's load() says what is missing
            import onnxruntime  # noqa: F401


class _Progress:
    """A rich progress bar over combinations (on stderr), or nothing."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self._p: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._p = Progress(
                TextColumn("{task.description:<36}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._p.__enter__()
            self._task = self._p.add_task("bench", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.__exit__(*exc)

    def describe(self, text: str) -> None:
        if self._p is not None:
            self._p.update(self._task, description=text)

    def advance(self, n: int) -> None:
        if self._p is not None:
            self._p.advance(self._task, n)
