"""Bench rows for ONNX files a user points at (`mnx bench path/to/model.onnx`).

A file is benched as it is, on every requested backend that runs ONNX files here, at each batch
size its shapes allow. Its rows carry the file's stem as `network` and its sha256 as
`source_sha256`, so a changed file is a new model (compare never matches the two). Accuracy comes
from MNIST when the file is an MNIST classifier, from `--data x.npz` when given, else it is None
("no labelled data"); timed inputs are then seeded random data in the model's input dtypes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.bench.file_backends import FILE_BACKENDS, file_runner
from mnx.bench.harness import HarnessConfig, measure
from mnx.bench.records import BenchConfig, BenchRow, clean_float
from mnx.bench.stats import LatencyStats, device_stats, throughput, timing_warnings
from mnx.bench.variants import Variant
from mnx.errors import DataError, MnxError, StaleArtifactError, UsageError
from mnx.toolkit.external import (
    DEFAULT_SEED,
    SOURCE_RECORD,
    LabelledData,
    ModelFile,
    Preprocess,
    inspect_onnx,
    is_model_file,
    load_npz,
    mnist_inputs,
    mnist_layout,
    random_inputs,
    resolve_shapes,
)
from mnx.toolkit.runners.base import Runner

EVAL_BATCH = 256


@dataclass(frozen=True)
class FileOptions:
    """How model files are fed: `--shapes`, `--preprocess`, `--data`, and the random-input seed."""

    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    preprocess: Preprocess = Preprocess.DIV255
    data_path: Path | None = None
    seed: int = DEFAULT_SEED


def split_names(
    names: Sequence[str], root: Path | None = None, precisions: Sequence[str] = ()
) -> tuple[list[str], list[str]]:
    """(model files, registered network names), each in the order given. A name exported from a
    Keras file (`mnx export my.keras` -> root/my/source.json) stands for its ONNX files."""
    files: list[str] = []
    registered: list[str] = []
    for n in names:
        if is_model_file(n):
            files.append(n)
        elif root is not None and (found := adopted_files(root / n, precisions)):
            files.extend(str(f) for f in found)
        else:
            registered.append(n)
    return files, registered


def adopted_names(root: Path) -> list[str]:
    """Folders under `root` made by `mnx export FILE.keras` that hold an FP32 ONNX file, sorted."""
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if adopted_files(d, ("fp32",)))


def adopted_files(net_dir: Path, precisions: Sequence[str]) -> list[Path]:
    """The ONNX files `mnx export FILE.keras` made in `net_dir`, per precision (INT8: the uint8
    encoding ONNX Runtime's CPU kernels run fast, as for registered networks)."""
    if not (net_dir / SOURCE_RECORD).is_file():
        return []
    names = {"fp32": "model.fp32.onnx", "fp16": "model.fp16.onnx", "int8": "model.int8.u8.onnx"}
    found = [
        net_dir / names[p] for p in precisions if p in names and (net_dir / names[p]).is_file()
    ]
    for f in found:
        _require_recorded(f)
    return found


def _require_recorded(path: Path) -> None:
    """An exported file is benched by name only as mnx recorded it (after its parity check)."""
    from mnx.bench.variants import stale_reason
    from mnx.toolkit.artifacts import artifact_record, read_json

    reason = stale_reason(path.parent, path.name)
    if reason is None and artifact_record(path.parent, path.name) is None:
        reason = f"{path.name} has no export record"
    if reason is not None:
        origin = read_json(path.parent / SOURCE_RECORD).get("path", "FILE.keras")
        raise StaleArtifactError(
            f"'{path.parent.name}': {reason}",
            expected="ONNX files as `mnx export` wrote and checked them",
            fix=f"run `mnx export {origin}` again (or bench the file by its path to take it as is)",
        )


@dataclass(frozen=True)
class _Plan:
    info: ModelFile
    shapes: dict[int, dict[str, tuple[int, ...]] | str]  # batch size -> shapes or skip reason
    labelled: LabelledData | None
    inputs_note: str


def plan_file(
    path: str, config: BenchConfig, options: FileOptions, mnist: Callable[[], Any]
) -> _Plan:
    """Everything about one file that can fail on user input, checked before any timing."""
    p = Path(path)
    if p.suffix.lower() == ".keras":
        raise UsageError(
            f"'{p}' is a Keras model; bench takes ONNX files (and registered names)",
            expected="a .onnx file",
            fix=f"export it first: `mnx export {p}`, then `mnx bench artifacts/{p.stem}/"
            "model.fp32.onnx`",
        )
    info = inspect_onnx(p)
    if not info.inputs or not info.outputs:
        raise UsageError(
            f"'{p}' has {len(info.inputs)} inputs and {len(info.outputs)} outputs",
            expected="a model with at least one input and one output",
            fix="bench a complete inference graph",
        )
    shapes = {b: resolve_shapes(info, dict(options.shapes), b) for b in config.batch_sizes}
    labelled = _labelled(info, options, mnist, config.eval_limit)
    note = f"{p} (sha256 {info.sha256[:12]}); " + (
        f"inputs: {labelled.source}"
        if labelled is not None
        else f"inputs: random (seed {options.seed}; floats in [0,1), integers in {{0,1}}); "
        "no labelled data"
    )
    return _Plan(info, shapes, labelled, note)


def _labelled(
    info: ModelFile, options: FileOptions, mnist: Callable[[], Any], limit: int | None
) -> LabelledData | None:
    if options.data_path is not None:
        data = load_npz(options.data_path)
        if len(info.inputs) != 1:
            raise DataError(
                f"--data feeds one array, but '{info.path.name}' has {len(info.inputs)} inputs",
                expected="a single-input model",
                fix="drop --data (inputs are then random)",
            )
        inp = info.inputs[0]
        want = tuple(inp.dims[1:])
        got = tuple(data.x.shape[1:])
        if len(want) != len(got) or any(
            isinstance(w, int) and w > 0 and w != g for w, g in zip(want, got, strict=False)
        ):
            raise DataError(
                f"--data x has samples of shape {got}; input {inp.name} takes {inp.shape_text()}",
                expected="x shaped (samples, *one input without its batch dimension)",
                fix="reshape x before saving it",
            )
        x = data.x.astype(np.dtype(inp.dtype)) if not inp.dtype.startswith("onnx:") else data.x
        return _cut(LabelledData(x, data.y, f"--data {data.source}", data.sha256), limit)
    per_image = mnist_layout(info)
    if per_image is None:
        return None
    m = mnist()
    x = mnist_inputs(m.x_test, per_image, options.preprocess)
    x = x.astype(np.dtype(info.inputs[0].dtype))
    source = f"MNIST test set, preprocess {options.preprocess.value}"
    return _cut(LabelledData(x, np.asarray(m.y_test).astype(np.int64), source, m.sha256), limit)


def _cut(data: LabelledData, limit: int | None) -> LabelledData:
    if limit is None:
        return data
    return LabelledData(data.x[:limit], data.y[:limit], data.source, data.sha256)


def file_variants(plan: _Plan, backends: Sequence[str], threads: int | None) -> list[Variant]:
    """One Variant per backend: runnable through the file runners, or skipped with the reason."""
    info = plan.info
    out = []
    for backend in backends:
        if backend == "keras":
            continue  # like Keras INT8 for a registered network: the combination does not exist
        make, reason = file_runner(backend, info.path, threads)
        out.append(
            Variant(
                info.label,
                backend,
                info.precision,
                info.path,
                make,
                note=plan.inputs_note,
                skipped_reason=reason,
            )
        )
    return out


def bench_file(
    plan: _Plan, variants: Sequence[Variant], config: BenchConfig, harness: HarnessConfig, seed: int
) -> list[BenchRow]:
    """Measured (or skipped) rows of one file on each variant."""
    from mnx.bench.flops import onnx_flops_per_image

    try:
        flops = onnx_flops_per_image(plan.info.path)
    except Exception:  # a graph FLOPs cannot be counted on is "not measured", not a failure
        flops = None
    rows: list[BenchRow] = []
    for v in variants:
        if v.make_runner is None:
            rows.append(_row(v, plan, None, skipped_reason=v.skipped_reason))
            continue
        rows.extend(_measure_variant(v, plan, config, harness, seed, flops))
    return rows


def _row(v: Variant, plan: _Plan, batch: int | None, **fields: Any) -> BenchRow:
    return BenchRow(
        network=v.network,
        backend=v.backend,
        precision=v.precision,
        batch_size=batch,
        note=v.note,
        model_file=str(plan.info.path),
        source_sha256=plan.info.sha256,
        params=plan.info.params,
        model_bytes=plan.info.size_bytes,
        **fields,
    )


def _feeds(plan: _Plan, shapes: dict[str, tuple[int, ...]], seed: int) -> Any:
    """One batch: a plain array for a single-input model (what every runner's `infer` takes), a
    {name: array} dict for several inputs."""
    if plan.labelled is None:
        feeds = random_inputs(shapes, plan.info, seed)
        return next(iter(feeds.values())) if len(feeds) == 1 else feeds
    b = next(iter(shapes.values()))[0]
    x = plan.labelled.x
    reps = -(-b // len(x))
    xb = np.concatenate([x] * reps)[:b] if reps > 1 else x[:b]
    return np.ascontiguousarray(xb)


def _accuracy(runner: Runner, plan: _Plan) -> tuple[int | None, float | None]:
    data = plan.labelled
    if data is None:
        return None, None
    fixed = plan.info.inputs[0].dims[0] if plan.info.inputs[0].dims else None
    dynamic = not (isinstance(fixed, int) and fixed > 0)
    step = EVAL_BATCH if dynamic else int(fixed)  # type: ignore[arg-type]
    end = len(data.x) if dynamic else len(data.x) - len(data.x) % step
    top = []
    for i in range(0, end, step):
        out = np.asarray(runner.infer(data.x[i : i + step]))
        if out.ndim != 2:
            return None, None  # not a classifier's (N, classes) output: nothing to score
        top.append(out.argmax(axis=1))
    if not top:
        return None, None
    pred = np.concatenate(top)
    return len(pred), float((pred == data.y[: len(pred)]).mean())


def _measure_variant(
    v: Variant,
    plan: _Plan,
    config: BenchConfig,
    harness: HarnessConfig,
    seed: int,
    flops: int | None,
) -> list[BenchRow]:
    assert v.make_runner is not None
    runner = v.make_runner()
    first_shapes = next((s for s in plan.shapes.values() if isinstance(s, dict)), None)
    try:
        t0 = time.perf_counter_ns()
        runner.load()
        t1 = time.perf_counter_ns()
        if first_shapes is not None:
            runner.infer(_feeds(plan, first_shapes, seed))
        t2 = time.perf_counter_ns()
        images, accuracy = _accuracy(runner, plan)
    except MnxError as exc:
        runner.close()
        return [_row(v, plan, None, skipped_reason=exc.render())]
    except Exception as exc:  # the runtime rejects this model's inputs or ops at run time
        runner.close()
        reason = (
            f"{v.backend} failed to run it ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
        )
        return [_row(v, plan, None, skipped_reason=reason)]
    try:
        rows = []
        providers = tuple(runner.providers())
        requested = list(getattr(runner, "requested_providers", None) or [])
        for b, shapes in plan.shapes.items():
            if isinstance(shapes, str):
                rows.append(_row(v, plan, b, skipped_reason=shapes))
                continue
            m = measure(runner, _feeds(plan, shapes, seed), harness)
            stats = LatencyStats.from_ns(m.latencies_ns)
            tp = throughput(stats, b)
            dev = device_stats(m.h2d_ms, m.compute_ms, m.d2h_ms)
            warns = timing_warnings(stats, dev, requested, list(providers) if requested else None)
            rows.append(
                _row(
                    v,
                    plan,
                    b,
                    timed_scope=runner.timed_scope,
                    providers=providers,
                    eval_images=images,
                    accuracy=accuracy,
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
                    flops_per_image=flops,
                    gflop_per_s=clean_float(flops * tp.images_per_s / 1e9) if flops else None,
                    load_ms=(t1 - t0) / 1e6,
                    first_inference_ms=(t2 - t1) / 1e6,
                    cold_start_ms=(t2 - t0) / 1e6,
                    warnings=tuple(warns),
                )
            )
        return rows
    finally:
        runner.close()


def plan_files(
    files: Sequence[str], config: BenchConfig, options: FileOptions, mnist: Callable[[], Any]
) -> list[_Plan]:
    """Inspect every file and check its shapes and data: user errors come before any timing."""
    if not files and (options.shapes or options.data_path is not None):
        raise UsageError(
            "--shapes and --data apply to model files, and no model file was given",
            expected="an .onnx path among the names (registered networks have fixed shapes)",
            fix="drop --shapes/--data, or pass the model file",
        )
    if files and set(config.backends) <= {"keras"}:
        raise UsageError(
            "Keras runs .keras models only; ONNX files were given with --backend keras",
            expected="an ONNX backend for the files: " + ", ".join(FILE_BACKENDS),
            fix="pass e.g. --backend ort",
        )
    plans = [plan_file(f, config, options, mnist) for f in files]
    keys = [(p.info.label, p.info.precision) for p in plans]
    for i, p in enumerate(plans):  # two files, one row key: the sha256 tells their rows apart
        if keys.count((p.info.label, p.info.precision)) > 1:
            plans[i] = dataclasses.replace(
                p, info=dataclasses.replace(p.info, name=f"{p.info.label}@{p.info.sha256[:8]}")
            )
    return plans


def bench_plans(
    plans: Sequence[_Plan], config: BenchConfig, harness: HarnessConfig, options: FileOptions
) -> list[BenchRow]:
    """Rows of every planned file on every requested backend."""
    rows: list[BenchRow] = []
    for plan in plans:
        variants = file_variants(plan, config.backends, config.threads)
        rows.extend(bench_file(plan, variants, config, harness, options.seed))
    return rows
