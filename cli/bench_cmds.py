"""CLI commands: bench, report, compare, pipeline (thin: parse, call bench.*, render)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mnx.errors import UsageError

BACKENDS = "keras,ort,ort-cuda,trt"
PRECISIONS = "fp32,fp16,int8"


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _batch_sizes(value: str) -> list[int]:
    out = []
    for v in _csv(value):
        try:
            out.append(int(v))
        except ValueError:
            raise UsageError(
                f"Batch size '{v}' is not a whole number",
                expected="comma-separated whole numbers from 1 to 65536",
                fix="pass e.g. --batch-sizes 1,32,256",
            ) from None
    return out


def _warmup(value: str) -> tuple[int, float]:
    """'10' -> 10 iterations; '0.5s' -> 0.5 seconds."""
    v = value.strip().lower()
    try:
        if v.endswith("s"):
            return 0, float(v[:-1])
        return int(v), 0.0
    except ValueError:
        raise UsageError(
            f"Warm-up '{value}' is neither a count nor seconds",
            expected="a whole number of calls (10) or seconds with an s (0.2s)",
            fix="pass e.g. --warmup 10 or --warmup 0.2s",
        ) from None


def _render(results: Any, saved: Any | None = None) -> None:
    from mnx.bench.report import render_terminal

    render_terminal(results)
    if saved is not None:
        click.echo(
            f"Saved {saved.json} (+ .csv, .md, latest.json{', plots' if saved.plots else ''})"
        )


@click.command("bench")
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every trained network in the artifacts dir.")
@click.option(
    "--backend",
    default=BACKENDS,
    show_default=True,
    help="Comma-separated backends: keras, ort, ort-cuda, trt.",
)
@click.option(
    "--precision",
    default=PRECISIONS,
    show_default=True,
    help="Comma-separated precisions (Keras runs fp32 only).",
)
@click.option(
    "--batch-sizes",
    default="1,32,256",
    show_default=True,
    help="Comma-separated batch sizes (1..65536).",
)
@click.option(
    "--duration",
    type=float,
    default=None,
    help="Seconds of timed calls per combination [default: 2].",
)
@click.option(
    "--iterations",
    type=int,
    default=None,
    help="Timed calls per combination (instead of --duration).",
)
@click.option(
    "--warmup",
    default="0.2s",
    show_default=True,
    help="Untimed calls before timing: a count (10) or seconds (0.2s).",
)
@click.option(
    "--threads",
    type=int,
    default=None,
    help="ONNX Runtime intra-op threads [default: the runtime's].",
)
@click.option(
    "--limit",
    type=int,
    default=None,
    help="Evaluate accuracy on the first N test images only [default: all 10,000].",
)
@click.option(
    "--keras-mode",
    default="predict_on_batch",
    show_default=True,
    help="Timed Keras call: predict_on_batch, or function (compiled tf.function).",
)
@click.option("--no-save", is_flag=True, help="Print the table only; write no files.")
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="With --on-every-node: the Ray cluster (--ray=ADDRESS, or $RAY_ADDRESS).",
)
@click.option(
    "--on-every-node",
    is_flag=True,
    help="Run the same bench on one node of each machine type of the Ray cluster and merge "
    "the rows, machine (CPU / GPU) first.",
)
@click.pass_obj
def bench_cmd(
    obj: object,
    names: tuple[str, ...],
    all_: bool,
    backend: str,
    precision: str,
    batch_sizes: str,
    duration: float | None,
    iterations: int | None,
    warmup: str,
    threads: int | None,
    limit: int | None,
    keras_mode: str,
    no_save: bool,
    ray_address: str | None = None,
    on_every_node: bool = False,
) -> None:
    """Measure accuracy, latency, throughput and size of every variant, side by side.

    Rows that cannot run here (no GPU, TensorRT absent, not exported) appear with the reason.
    Results go to ARTIFACTS/bench/<UTC time>.{json,csv,md} and latest.json, with plots.

    \b
    Examples:
      mnx bench linear --backend keras,ort --batch-sizes 1,32
      mnx bench cnn9 --backend trt --precision fp16,int8 --duration 5
      mnx bench --all --iterations 500 --threads 2
    """
    from mnx.bench.report import save
    from mnx.bench.run import run_bench, trained_networks

    root: Path = obj.artifacts  # type: ignore[attr-defined]
    if duration is not None and iterations is not None:
        raise UsageError(
            "--duration and --iterations were both given",
            expected="one of them",
            fix="drop one of the two options",
        )
    if all_ and names:
        raise UsageError(
            "Network names were given together with --all",
            expected="names or --all",
            fix="drop --all or the names",
        )
    selected = list(names)
    if all_:
        selected = trained_networks(root)
        if not selected:
            from mnx.errors import MissingArtifactError

            raise MissingArtifactError(
                f"No trained network in '{root}'",
                expected="at least one model.keras under it",
                fix="run `mnx train NAME` (or `mnx pipeline --quick`)",
            )
    warm_n, warm_s = _warmup(warmup)
    kwargs = dict(
        backends=_csv(backend),
        precisions=_csv(precision),
        batch_sizes=_batch_sizes(batch_sizes),
        duration_s=None if iterations is not None else (2.0 if duration is None else duration),
        iterations=iterations,
        warmup=warm_n,
        warmup_s=warm_s,
        threads=threads,
        eval_limit=limit,
        keras_mode=keras_mode,
    )
    if on_every_node or ray_address:
        _bench_every_node(selected, kwargs, root, ray_address, on_every_node, no_save)
        return
    results = run_bench(selected, **kwargs, root=root, progress=sys.stderr.isatty())  # type: ignore[arg-type]
    _render(results, None if no_save else save(results, root))


def _bench_every_node(  # type: ignore[no-untyped-def]
    names, kwargs, root: Path, address: str | None, on_every_node: bool, no_save: bool
) -> None:
    """--ray --on-every-node: one bench per machine type, one merged table (workflows.fanout)."""
    if not on_every_node:
        raise UsageError(
            "--ray was given to bench without --on-every-node",
            expected="--ray [ADDRESS] --on-every-node (bench fans out to every machine type)",
            fix="add --on-every-node, or drop --ray to bench on this machine",
        )
    from mnx.toolkit.artifacts import utc_now, write_json_atomic, write_text_atomic
    from mnx.workflows.fanout import bench_on_every_node, machine_table

    per_node = bench_on_every_node(
        names, kwargs, root, address, say=lambda m: click.echo(m, err=True)
    )
    table = machine_table(per_node)
    click.echo(table)
    if not no_save:
        stem = root / "bench" / f"every-node-{utc_now().replace(':', '')}"
        write_text_atomic(stem.with_suffix(".md"), table)
        write_json_atomic(
            stem.with_suffix(".json"),
            [{"machine": t.machine, "nodes": t.nodes, **r.to_dict()} for t, r in per_node],
        )
        click.echo(f"Saved {stem}.md (+ .json, one results object per machine type)")


@click.command("report")
@click.argument("results_file", required=False, type=click.Path(dir_okay=False))
@click.option("--no-plots", is_flag=True, help="Redraw the table only.")
@click.pass_obj
def report_cmd(obj: object, results_file: str | None, no_plots: bool) -> None:
    """Redraw the table and plots of a saved results file (default: the latest).

    Plots are written next to the file: <stem>.latency.png and <stem>.accuracy.png.

    \b
    Examples:
      mnx report
      mnx report artifacts/bench/20250101T120000Z.json
    """
    from mnx.bench.plots import draw_plots
    from mnx.bench.records import BenchResults
    from mnx.bench.report import latest_path, render_terminal

    path = Path(results_file) if results_file else latest_path(obj.artifacts)  # type: ignore[attr-defined]
    results = BenchResults.load(path)
    render_terminal(results)
    if not no_plots:
        plots = draw_plots(results, path.with_suffix(""))
        for p in plots:
            click.echo(f"Plot: {p}")


@click.command("compare")
@click.argument("baseline", type=click.Path(dir_okay=False))
@click.argument("candidate", type=click.Path(dir_okay=False))
@click.option(
    "--threshold",
    type=float,
    default=5.0,
    show_default=True,
    help="Flag rows whose p50 rose or images/s fell by more than this many percent.",
)
@click.option(
    "--accuracy-drop",
    type=float,
    default=0.1,
    show_default=True,
    help="Flag rows whose accuracy fell by more than this many percentage points.",
)
def compare_cmd(baseline: str, candidate: str, threshold: float, accuracy_drop: float) -> None:
    """Relative change from BASELINE to CANDIDATE per matching row; exit status 1 when any row
    regressed past the thresholds (use it as a CI gate), 0 otherwise.

    \b
    Examples:
      mnx compare artifacts/bench/old.json artifacts/bench/latest.json
      mnx compare a.json b.json --threshold 10 --accuracy-drop 0.5
    """
    from mnx.bench.compare import RegressionError, compare, render
    from mnx.bench.records import BenchResults

    if not threshold > 0 or accuracy_drop < 0:
        raise UsageError(
            f"Bad thresholds (--threshold {threshold}, --accuracy-drop {accuracy_drop})",
            expected="--threshold > 0 and --accuracy-drop >= 0",
            fix="e.g. --threshold 5 --accuracy-drop 0.1",
        )
    cmp = compare(
        BenchResults.load(Path(baseline)),
        BenchResults.load(Path(candidate)),
        threshold,
        accuracy_drop,
    )
    render(cmp)
    if cmp.regressed:  # exit status 1 through the CLI's error path: a CI gate fails the job
        raise RegressionError(cmp)


@click.command("pipeline")
@click.argument("names", nargs=-1)
@click.option(
    "--quick",
    is_flag=True,
    help="2 epochs on 10,000 images and a 0.5 s bench per combination (minutes on CPU).",
)
@click.option("--backend", default=BACKENDS, show_default=True, help="Backends to bench.")
@click.option("--batch-sizes", default="1,32,256", show_default=True, help="Batch sizes to bench.")
@click.option(
    "--duration",
    type=float,
    default=None,
    help="Seconds per bench combination [default: 0.5 with --quick, else 2].",
)
@click.option("--threads", type=int, default=None, help="ONNX Runtime intra-op threads.")
@click.pass_obj
def pipeline_cmd(
    obj: object,
    names: tuple[str, ...],
    quick: bool,
    backend: str,
    batch_sizes: str,
    duration: float | None,
    threads: int | None,
) -> None:
    """Train -> export (ONNX FP32/FP16/INT8, TensorRT where it runs) -> bench, skipping steps whose
    artifacts are current; ends with the comparison table. Default network: m31_k3.

    \b
    Examples:
      mnx pipeline --quick
      mnx pipeline mlp_512_128 linear --quick
      mnx pipeline cnn9
    """
    from mnx.bench.report import save
    from mnx.bench.variants import check_batch_sizes, parse_backends
    from mnx.workflows.pipeline import PipelineOptions, run_pipeline

    if duration is not None and not duration > 0:
        raise UsageError(
            f"Duration {duration} s is not positive",
            expected="a duration in seconds > 0",
            fix="pass e.g. --duration 1",
        )
    options = PipelineOptions(
        quick=quick,
        backends=parse_backends(_csv(backend)),
        batch_sizes=check_batch_sizes(_batch_sizes(batch_sizes)),
        duration_s=duration,
        threads=threads,
    )
    root: Path = obj.artifacts  # type: ignore[attr-defined]
    out = run_pipeline(list(names), options, root, say=lambda m: click.echo(m, err=True))
    for s in out.steps:
        click.echo(
            f"{s.network}: {s.step} {s.status} ({s.seconds:.1f} s)"
            f"{f' - {s.detail}' if s.detail else ''}",
            err=True,
        )
    _render(out.results, save(out.results, root))


COMMANDS: list[click.Command] = [bench_cmd, report_cmd, compare_cmd, pipeline_cmd]
