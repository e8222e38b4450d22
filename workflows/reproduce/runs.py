"""A reproduction: one run per network × seed, through an executor (here, or Ray tasks), then
the summary tables and plot over every run reproduced into the output folder so far."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mnx.errors import MnxError, UnknownNameError, UsageError
from mnx.toolkit.artifacts import ensure_dir, utc_now, write_json_atomic
from mnx.workflows.executors import Executor, LocalExecutor, Outcome, Task
from mnx.workflows.reproduce.reported import NOTEBOOKS, REPORTED_EXTRA, SWING_EPOCHS
from mnx.workflows.reproduce.rows import ReproRow, load_rows, merge_rows, rows_json
from mnx.workflows.seeds import DEFAULT_SEED, seed_folder, seed_root

if TYPE_CHECKING:
    from mnx.architectures.registry import Network
    from mnx.toolkit.data import Mnist
    from mnx.toolkit.train import TrainResult


class RunsFailedError(MnxError):
    """Some network × seed runs failed; the others were reproduced and tabled."""


@dataclass(frozen=True)
class RunSpec:
    """One run: a network with one seed (epochs/limit None = the recipe's)."""

    name: str
    seed: int
    epochs: int | None
    limit: int | None
    export: bool
    progress: bool = True  # export progress lines on stderr


@dataclass(frozen=True)
class Failure:
    label: str
    error: str
    detail: str  # traceback


@dataclass(frozen=True)
class ReproResult:
    rows: tuple[ReproRow, ...]
    tables: tuple[Path, ...]
    plot: Path | None
    created: str
    failures: tuple[Failure, ...] = ()


def networks_of(notebooks: Sequence[str], only: Sequence[str] = ()) -> list[str]:
    """Network names of the given notebooks in seed order, optionally narrowed to `only`."""
    from mnx import architectures

    for nb in notebooks:
        if nb not in NOTEBOOKS:
            raise UnknownNameError("notebook", nb, NOTEBOOKS, hint="notebooks are 000 to 004")
    chosen = [n.name for n in architectures.all_networks() if n.seed in notebooks]
    if only:
        for name in only:
            architectures.get(name)  # unknown name: did-you-mean
            if name not in chosen:
                raise UsageError(
                    f"'{name}' is not a network of notebook(s) {', '.join(notebooks)}",
                    expected=f"one of: {', '.join(chosen)}",
                    fix="drop it from --networks, or name its notebook",
                )
        chosen = [n for n in chosen if n in only]
    return chosen


def run_tasks(
    names: Sequence[str], seeds: Sequence[int], epochs: int | None, limit: int | None, export: bool
) -> list[Task[RunSpec]]:
    """One task per network × seed; each owns its network folder under its seed's root."""
    return [
        Task(
            label=name if seeds == (DEFAULT_SEED,) else f"{name} seed {seed}",
            folder=seed_folder(seed) / name,
            payload=RunSpec(name, seed, epochs, limit, export),
        )
        for name in names
        for seed in seeds
    ]


def reproduce_one(spec: RunSpec, root: Path, data: Mnist) -> ReproRow:
    """The work of one task: train (or reuse) and export into the seed's root; the row."""
    from mnx import architectures
    from mnx.toolkit.train import TrainConfig
    from mnx.workflows.steps import export_accuracies, train_or_reuse

    net = architectures.get(spec.name)
    where = seed_root(root, spec.seed)
    config = TrainConfig(epochs=spec.epochs, seed=spec.seed, limit=spec.limit)
    result, trained_now = train_or_reuse(spec.name, config, where, data)
    fp32 = int8 = None
    if spec.export:
        say = _stderr if spec.progress else (lambda _m: None)
        fp32, int8 = export_accuracies(spec.name, where, data, say)
    return row_from(net, result, trained_now, fp32, int8)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def row_from(
    net: Network,
    result: TrainResult,
    trained_now: bool,
    fp32: float | None = None,
    int8: float | None = None,
) -> ReproRow:
    extra = REPORTED_EXTRA.get(net.name, {})
    hist = result.history
    return ReproRow(
        name=net.name,
        notebook=net.seed,
        section=net.section,
        params=result.params,
        epochs=result.epochs,
        reported_test_accuracy=net.reported_accuracy,
        test_accuracy=result.test_accuracy,
        reported_test_loss=extra.get("test_loss"),
        test_loss=result.test_loss,
        reported_train_accuracy=extra.get("train_accuracy"),
        train_accuracy=hist["accuracy"][-1] if hist.get("accuracy") else None,
        reported_train_loss=extra.get("train_loss"),
        train_loss=hist["loss"][-1] if hist.get("loss") else None,
        seconds_per_epoch=result.mean_seconds_per_epoch,
        onnx_fp32_accuracy=fp32,
        onnx_int8_accuracy=int8,
        trained_now=trained_now,
        full_recipe=(
            result.epochs == net.recipe.epochs and result.limit is None and not result.data_subset
        ),
        last_test_accuracies=tuple(
            float(v) for v in (hist.get("val_accuracy") or [])[-SWING_EPOCHS:]
        ),
        seed=result.seed,
        limit=result.limit,
    )


def reproduce(
    notebooks: Sequence[str],
    root: Path,
    *,
    only: Sequence[str] = (),
    seeds: Sequence[int] = (DEFAULT_SEED,),
    epochs: int | None = None,
    limit: int | None = None,
    export: bool = True,
    out_dir: Path | None = None,
    executor: Executor | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> ReproResult:
    """Train (or reuse) every selected network with its seed recipe once per seed, export FP32 +
    INT8 ONNX, and write the notebooks' comparison tables with our figures beside theirs. A run
    that fails is reported in `failures`; the others still reach the tables."""
    from mnx.toolkit.data import load_mnist

    tasks = run_tasks(networks_of(notebooks, only), tuple(seeds), epochs, limit, export)
    data = load_mnist()
    executor = executor or LocalExecutor(say)
    say(f"{len(tasks)} run(s) {executor.describe()}")
    rows: list[ReproRow] = []
    failures: list[Failure] = []
    for i, outcome in enumerate(executor.run(reproduce_one, tasks, root, data), 1):
        say(f"[{i}/{len(tasks)}] {_summary(outcome)}")
        if outcome.ok and isinstance(outcome.value, ReproRow):
            rows.append(outcome.value)
        else:
            failures.append(Failure(outcome.task.label, outcome.error or "", outcome.detail))
    tables, plot = write_summary(rows, out_dir or root / "reproduce") if rows else ((), None)
    rows = merge_rows([], rows)  # registry order, then seed
    return ReproResult(tuple(rows), tuple(tables), plot, utc_now(), tuple(failures))


def _summary(o: Outcome[RunSpec, ReproRow]) -> str:
    if not o.ok or o.value is None:
        return f"{o.task.label}: FAILED ({o.error})"
    how = "trained" if o.value.trained_now else "current model reused"
    return (
        f"{o.task.label}: {how}, test accuracy {o.value.test_accuracy:.2%} "
        f"({o.seconds:.0f} s, {o.where})"
    )


def write_summary(rows: Sequence[ReproRow], out: Path) -> tuple[list[Path], Path | None]:
    """Tables, plot and reproduce.json over every run reproduced into `out` so far, this run's
    rows replacing earlier ones of the same network × seed: `mnx reproduce 002` then `003`
    gives one summary."""
    from mnx.workflows.reproduce.plot import plot_reported_vs_ours
    from mnx.workflows.reproduce.tables import write_tables

    out = ensure_dir(out)
    everything = merge_rows(load_rows(out / "reproduce.json"), rows)
    tables = write_tables(everything, out)
    plot = plot_reported_vs_ours(everything, out / "reported_vs_ours.png")
    write_json_atomic(out / "reproduce.json", {"created": utc_now(), "rows": rows_json(everything)})
    return tables, plot


def elapsed(start: float) -> str:
    s = int(time.perf_counter() - start)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"
