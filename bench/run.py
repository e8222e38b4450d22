"""`run_bench`: plan (bench.plan) -> measure each runnable variant -> assemble one `BenchResults`.

Measuring is silent: progress goes to an optional callback (the CLI draws the bar). A run that
measured nothing is an error, never a results file.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.bench.accuracy import EVAL_BATCH, AccuracyResult, keras_reference, predict_all, score
from mnx.bench.harness import HarnessConfig
from mnx.bench.plan import BenchPlan, Target, make_plan
from mnx.bench.records import BenchConfig, BenchResults, BenchRow, Provenance
from mnx.bench.timing import timed_fields
from mnx.bench.variants import Skip, SkipKind, Variant, gpu_name
from mnx.errors import MnxError

NUM_CLASSES = 10


@dataclass(frozen=True)
class Progress:
    """Where a run stands: `done` of `total` (variant x batch size) measurements; `current`
    names the one starting now ("" once finished)."""

    done: int
    total: int
    current: str


ProgressCallback = Callable[[Progress], None]


class NothingMeasuredError(MnxError):
    """Every combination was skipped at load or batch time: no results file is written."""


def trained_networks(root: Path) -> list[str]:
    """Registered networks that have a model.keras under `root`, in registry order, then those
    trained from an --arch-file (toolkit.user_archs re-registers them by name), then Keras files
    exported with `mnx export FILE.keras` (bench.external)."""
    from mnx import architectures
    from mnx.bench.external import adopted_names
    from mnx.toolkit.user_archs import remembered_names

    known = [n for n in architectures.names() if (root / n / "model.keras").is_file()]
    known += [n for n in remembered_names(root) if n not in known]
    return known + [n for n in adopted_names(root) if n not in known]


def run_bench(
    config: BenchConfig,
    root: Path | None = None,
    *,
    data: Any = None,
    progress: ProgressCallback | None = None,
) -> BenchResults:
    """Benchmark accuracy, latency, throughput and size of every combination in `config`.

    Combinations that cannot run here (no GPU, TensorRT absent, not exported) become rows with
    `skipped_reason`, unless the user named that backend (`config.backends_named`): then, as
    when nothing at all can run, a typed error names the fix before any measuring.
    `data` (a toolkit.data.Mnist) defaults to `load_mnist()`, loaded only when something needs
    it (model files that MNIST cannot label do not).
    """
    from mnx.toolkit.artifacts import artifacts_root

    plan = make_plan(config, root or artifacts_root())
    rows = _Measurer(plan, data, progress or (lambda _p: None)).run()
    results = _assemble(config, rows)
    if not results.measured():
        first = rows[0]
        raise NothingMeasuredError(
            f"Nothing was measured: {first.network} {first.backend} {first.precision}: "
            f"{first.skipped_reason}",
            expected="at least one combination that loads and runs here",
            fix="fix the first reason above, or ask for other backends",
        )
    return results


class _Measurer:
    """Measures a plan's runnable variants network by network, reporting progress."""

    def __init__(self, plan: BenchPlan, data: Any, progress: ProgressCallback) -> None:
        self.plan = plan
        self._data = data
        self.progress = progress
        self.config = plan.config
        self.harness = HarnessConfig(
            duration_s=self.config.duration_s,
            iterations=self.config.iterations,
            warmup_iterations=self.config.warmup_iterations,
            warmup_s=self.config.warmup_s,
        )
        self.total = len(plan.runnable()) * len(self.config.batch_sizes)
        self.done = 0

    @property
    def data(self) -> Any:
        if self._data is None:
            from mnx.toolkit.data import load_mnist

            self._data = load_mnist()
        return self._data

    def run(self) -> list[BenchRow]:
        rows: list[BenchRow] = []
        for target in self.plan.targets:
            mine = self.plan.of(target)
            if target.source is not None:
                rows += self._file(target, mine)
                continue
            if not any(v.make_runner for v in mine):
                rows += [_skipped(v, v.skip) for v in mine]
                continue
            x, y = _test_set(target, self.data, self.config.eval_limit)
            ref = keras_reference(
                target.net_dir / "model.keras", x, self.data.sha256, target.net_dir / "bench_cache"
            )
            facts = _NetFacts(target)
            for v in mine:
                rows += (
                    self._variant(v, x, y, ref, facts) if v.make_runner else [_skipped(v, v.skip)]
                )
        self.progress(Progress(self.done, self.total, ""))
        return rows

    def _file(self, target: Target, variants: list[Variant]) -> list[BenchRow]:
        """A model file's rows (bench.external measures them; MNIST loads only if it labels)."""
        from mnx.bench.external import FileMeasurer

        assert target.source is not None
        measurer = FileMeasurer(
            target.source, self.config, self.harness, lambda: self.data, self._advance
        )
        return measurer.rows(variants)

    def _advance(self, n: int, current: str = "") -> None:
        self.done += n
        self.progress(Progress(self.done, self.total, current))

    def _variant(
        self, v: Variant, x: np.ndarray, y: np.ndarray, ref: np.ndarray, facts: _NetFacts
    ) -> list[BenchRow]:
        assert v.make_runner is not None
        runner = v.make_runner()
        try:
            cold = _cold_start(runner, v, x)
            if isinstance(cold, Skip):
                self._advance(len(self.config.batch_sizes))
                return [_skipped(v, cold)]
            eval_batch = min(EVAL_BATCH, runner.max_batch or EVAL_BATCH)
            acc = score(predict_all(runner, x, eval_batch), y, ref)
            ref_acc = float((ref.argmax(axis=1) == y).mean())  # Keras FP32's, for the Δ pp column
            common = _common_fields(v, runner, acc, cold, facts, ref_acc)
            precision_warns = runner.precision_warnings(v.precision)  # compiling engines
            rows = []
            for b in self.config.batch_sizes:
                self.progress(
                    Progress(
                        self.done, self.total, f"{v.network} {v.backend} {v.precision} batch {b}"
                    )
                )
                rows.append(self._batch_row(v, runner, x, b, common, precision_warns))
                self._advance(1)
            return rows
        finally:
            runner.close()

    def _batch_row(
        self,
        v: Variant,
        runner: Any,
        x: np.ndarray,
        b: int,
        common: dict[str, Any],
        common_warnings: list[str],
    ) -> BenchRow:
        if runner.max_batch and b > runner.max_batch:
            skip = Skip(
                SkipKind.OVER_PROFILE,
                f"batch {b} exceeds the engine's max batch {runner.max_batch}",
                f"rebuild it with `mnx export {v.network} --trt --max-batch {b}`",
            )
            return dataclasses.replace(_skipped(v, skip), batch_size=b)
        fields, warns = timed_fields(
            runner,
            _batch(x, b),
            b,
            self.harness,
            list(common["providers"]),
            common["flops_per_image"],
        )
        return BenchRow(**common, **fields, batch_size=b, warnings=tuple(common_warnings + warns))


@dataclass(frozen=True)
class _ColdStart:
    load_ms: float
    first_ms: float


def _cold_start(runner: Any, v: Variant, x: np.ndarray) -> _ColdStart | Skip:
    """Load + first batch-1 call of a fresh runner, timed; a runner that cannot load or whose
    file does not take this network's input (a hand-placed ONNX of another shape or output
    name) becomes a typed skip instead of a crash."""
    _import_framework(v.backend)  # cold start = load + first call, not a library import
    x1 = _batch(x, 1)
    try:
        t0 = time.perf_counter_ns()
        runner.load()
        t1 = time.perf_counter_ns()
        out = runner.infer(x1)
        t2 = time.perf_counter_ns()
    except MnxError as exc:  # e.g. a GPU library that imports but cannot initialise
        return Skip(SkipKind.LOAD_FAILED, exc.what, exc.fix)
    except Exception as exc:  # the runtime's own error types (ORT Fail/InvalidArgument, ...)
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        return _refused(v, f"cannot run on a {x1.shape} float32 batch ({first})")
    shape = np.shape(out)
    if shape != (1, NUM_CLASSES):
        return _refused(v, f"returns shape {shape} for one image, not (1, {NUM_CLASSES})")
    return _ColdStart((t1 - t0) / 1e6, (t2 - t1) / 1e6)


def _refused(v: Variant, why: str) -> Skip:
    name = v.model_file.name if v.model_file else v.backend
    return Skip(
        SkipKind.LOAD_FAILED,
        f"{name} {why}",
        f"replace it with one made by `mnx export {v.network}`",
    )


def _common_fields(
    v: Variant,
    runner: Any,
    acc: AccuracyResult,
    cold: _ColdStart,
    facts: _NetFacts,
    reference_accuracy: float,
) -> dict[str, Any]:
    """The BenchRow fields every batch size of one variant shares."""
    model_bytes = v.model_file.stat().st_size if v.model_file and v.model_file.is_file() else None
    return {
        "network": v.network,
        "backend": v.backend,
        "precision": v.precision,
        "note": v.note,
        "executed_precision": runner.executed_precision(),
        "partial_training": facts.partial,
        "model_file": v.model_file.name if v.model_file else None,
        "timed_scope": runner.timed_scope,
        "providers": tuple(runner.providers()),
        "eval_images": acc.images,
        "accuracy": acc.accuracy,
        "reference_accuracy": reference_accuracy,
        "agreement": acc.agreement,
        "max_abs_diff": acc.max_abs_diff,
        "params": facts.params,
        "model_bytes": model_bytes,
        "flops_per_image": facts.flops(runner),
        "load_ms": cold.load_ms,
        "first_inference_ms": cold.first_ms,
        "cold_start_ms": cold.load_ms + cold.first_ms,
    }


def _assemble(config: BenchConfig, rows: list[BenchRow]) -> BenchResults:
    from mnx.toolkit import __version__
    from mnx.toolkit.artifacts import utc_now
    from mnx.toolkit.doctor import doctor
    from mnx.toolkit.versions import cpu_model, git_commit, versions

    providers: list[str] = []
    for r in rows:
        providers += [p for p in r.providers if p not in providers]
    vers = versions()
    provenance = Provenance(
        created_utc=utc_now(),
        mnx_version=vers.get("mnx", __version__),
        versions=vers,
        cpu=cpu_model(),
        gpu=gpu_name(),
        threads=config.threads,
        providers=tuple(providers),
        git_commit=git_commit(),
        platform=vers.get("platform"),
        machine=doctor(cheap=True),
    )
    return BenchResults(provenance=provenance, config=config, rows=tuple(rows))


class _NetFacts:
    """Per-network size facts, computed lazily once."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._flops: int | None | bool = False

    @property
    def partial(self) -> str | None:
        from mnx.toolkit.artifacts import read_json

        path = self.target.net_dir / "train.json"
        value = read_json(path).get("partial") if path.is_file() else None
        return value if isinstance(value, str) else None

    @property
    def params(self) -> int | None:
        from mnx.toolkit.artifacts import read_json

        train_json = self.target.net_dir / "train.json"
        if train_json.is_file():
            p = read_json(train_json).get("params")
            if isinstance(p, int):
                return p
        return self.target.arch.params  # type: ignore[no-any-return]

    def flops(self, runner: Any) -> int | None:
        if self._flops is False:
            from mnx.bench.flops import keras_flops_per_image, onnx_flops_per_image
            from mnx.toolkit.runners.keras_runner import KerasRunner

            fp32 = self.target.net_dir / "model.fp32.onnx"
            value = onnx_flops_per_image(fp32) if fp32.is_file() else None
            if value is None and isinstance(runner, KerasRunner):
                value = keras_flops_per_image(runner.model)
            self._flops = value
        return self._flops  # type: ignore[return-value]


def _test_set(target: Target, data: Any, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    from mnx.toolkit.data import preprocess

    xs, ys = data.x_test, data.y_test
    if limit is not None:
        xs, ys = xs[:limit], ys[:limit]
    arch = target.arch
    x = np.ascontiguousarray(preprocess(xs, arch.recipe.preprocessing, arch.layout), np.float32)
    return x, np.asarray(ys).astype(np.int64)


def _batch(x: np.ndarray, batch_size: int) -> np.ndarray:
    """The first `batch_size` test images (repeated when the set is smaller), contiguous."""
    reps = -(-batch_size // len(x))
    xb = np.concatenate([x] * reps, axis=0)[:batch_size] if reps > 1 else x[:batch_size]
    return np.ascontiguousarray(xb, dtype=np.float32)


def _skipped(v: Variant, skip: Skip | None) -> BenchRow:
    return BenchRow(
        network=v.network,
        backend=v.backend,
        precision=v.precision,
        batch_size=None,
        skipped_reason=skip.render() if skip else "cannot run here",
        note=v.note,
        model_file=v.model_file.name if v.model_file else None,
    )


def _import_framework(backend: str) -> None:
    if backend == "keras":
        import keras  # noqa: F401
    elif backend in ("ort", "ort-cuda"):
        import contextlib

        with contextlib.suppress(ImportError):  # the runner's load() says what is missing
            import onnxruntime  # noqa: F401
