"""CLI commands: bench, report, compare, pipeline (thin: parse, call bench.*, render)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mnx.cli.common import require_keras
from mnx.errors import ConfigError, UsageError
from mnx.toolkit.options import DEFAULT_BACKENDS, Backend, Precision, Preprocess, split_csv

BACKENDS = ",".join(DEFAULT_BACKENDS)
ALL_BACKENDS = ", ".join(Backend)
PRECISIONS = ",".join(Precision)
WIDE_HELP = (
    "All columns: agreement, max |diff|, mean, CoV, params, MiB, GFLOP/s, cold start "
    "(wider than a terminal; piped, nothing is cut)."
)


def _batch_sizes(value: str) -> list[int]:
    out = []
    for v in split_csv(value):
        try:
            out.append(int(v))
        except ValueError:
            raise ConfigError(
                f"Batch size '{v}' is not a whole number",
                expected="comma-separated whole numbers from 1 to 65536",
                fix="pass e.g. --batch-sizes 1,32,256",
            ) from None
    return out


def _warmup(value: str) -> tuple[int, float]:
    """'10' -> 10 iterations; '0.5s' -> 0.5 seconds (ranges: BenchConfig)."""
    v = value.strip().lower()
    try:
        if v.endswith("s"):
            return 0, float(v[:-1])
        return int(v), 0.0
    except ValueError:
        raise ConfigError(
            f"Warm-up '{value}' is neither a count nor seconds",
            expected="a whole number of calls (10) or seconds with an s (0.2s)",
            fix="pass e.g. --warmup 10 or --warmup 0.2s",
        ) from None


def _named(ctx: click.Context, option: str) -> bool:
    """Did the user give `option` (rather than take its default)?"""
    source = ctx.get_parameter_source(option)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _file_fields(
    shapes: str | None, preprocess: str, data_file: str | None, seed: int
) -> dict[str, Any]:
    """The model-file options as BenchConfig fields (it validates them; --shapes is parsed
    here: its syntax is the CLI's, trtexec's NAME:1x3x224x224)."""
    from mnx.toolkit.external import parse_shapes

    return {
        "shapes": tuple(parse_shapes(shapes).items()),
        "preprocess": preprocess,
        "data_path": data_file,
        "seed": seed,
    }


class _ProgressBar:
    """The bench library reports `Progress`; this draws it with rich on a terminal's stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._p = Progress(
            TextColumn("{task.description:<36}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: Any = None

    def __enter__(self) -> _ProgressBar:
        self._p.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._p.__exit__(*exc)  # type: ignore[arg-type]

    def __call__(self, p: Any) -> None:
        if self._task is None:
            self._task = self._p.add_task("bench", total=p.total)
        self._p.update(self._task, completed=p.done, description=p.current or "done")


def _bench_with_progress(config: Any, root: Path, data: Any = None) -> Any:
    from mnx.bench.run import run_bench

    if not sys.stderr.isatty():
        return run_bench(config, root, data=data)
    with _ProgressBar() as bar:
        return run_bench(config, root, data=data, progress=bar)


def _render(results: Any, saved: Any | None = None, wide: bool = False) -> None:
    from mnx.bench.report import render_terminal

    render_terminal(results, wide=wide)
    if saved is not None:
        click.echo(
            f"Saved {saved.json} (+ .csv, .md, latest.json/.csv{', plots' if saved.plots else ''})"
        )


@click.command("bench")
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every trained network in the artifacts dir.")
@click.option(
    "--backend",
    default=BACKENDS,
    show_default=True,
    help=f"Comma-separated backends: {ALL_BACKENDS}. Named ones must run here; the default "
    "set skips what this machine lacks.",
)
@click.option(
    "--precision",
    default=PRECISIONS,
    show_default=True,
    help="Comma-separated precisions (Keras runs fp32 only; bf16 is OpenVINO's, where the CPU has it).",
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
    help="Seconds of timed calls per combination, 0.01..3600 [default: 2].",
)
@click.option(
    "--iterations",
    type=int,
    default=None,
    help="Timed calls per combination, 1..10,000,000 (instead of --duration).",
)
@click.option(
    "--warmup",
    default="0.2s",
    show_default=True,
    help="Untimed calls before timing: a count 0..100,000 (10) or seconds 0..60 (0.2s).",
)
@click.option(
    "--threads",
    type=int,
    default=None,
    help="ONNX Runtime intra-op / OpenVINO inference threads, 1..256 [default: ORT one per usable core, spinning only inside a call; OpenVINO its own].",
)
@click.option(
    "--limit",
    type=int,
    default=None,
    help="Evaluate accuracy on the first N (1..10,000) test images only [default: all].",
)
@click.option(
    "--keras-mode",
    default="predict_on_batch",
    show_default=True,
    help="Timed Keras call: predict_on_batch, or function (compiled tf.function).",
)
@click.option(
    "--cuda-graph/--no-cuda-graph",
    default=False,
    show_default=True,
    help="TensorRT: replay each batch size's enqueue as a CUDA graph (captured untimed). "
    "trtexec 10 defaults to off, trtexec 11 to on.",
)
@click.option(
    "--include-transfers/--no-include-transfers",
    default=True,
    show_default=True,
    help="TensorRT: time the H2D/D2H copies with each call. trtexec 10 includes them; trtexec 11 "
    "excludes them (the input stays on the device). For trtexec 11's figures: "
    "--cuda-graph --no-include-transfers.",
)
@click.option(
    "--shapes",
    default=None,
    help="Model files: input shapes as trtexec takes them, NAME:1x3x224x224[,NAME2:...]; "
    "the first dimension is the batch (run alone unless --batch-sizes is given).",
)
@click.option(
    "--preprocess",
    default="/255",
    show_default=True,
    metavar="|".join(Preprocess),
    help="Model files that classify MNIST: how pixels are scaled.",
)
@click.option(
    "--data",
    "data_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Model files: labelled inputs for accuracy, a .npz holding x and y.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Model files: seed of random inputs, 0..2**32-1.",
)
@click.option("--no-save", is_flag=True, help="Print the table only; write no files.")
@click.option("--wide", is_flag=True, help=WIDE_HELP)
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
@click.pass_context
def bench_cmd(
    ctx: click.Context,
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
    cuda_graph: bool,
    include_transfers: bool,
    shapes: str | None,
    preprocess: str,
    data_file: str | None,
    seed: int,
    no_save: bool,
    wide: bool,
    ray_address: str | None = None,
    on_every_node: bool = False,
) -> None:
    """Measure accuracy, latency, throughput and size of every variant, side by side.

    NAMES are registered networks or ONNX files (mixable); a file is benched as it is, with
    accuracy on MNIST when it is an MNIST classifier, on --data when given, else "no labelled
    data". With the default backends, rows that cannot run here (no GPU, TensorRT absent, not
    exported) appear with the reason; a backend named with --backend that cannot run here is an
    error, for files too. Nothing is saved when nothing was measured.
    Results go to ARTIFACTS/bench/<UTC time>.{json,csv,md} and latest.json, with plots.

    \b
    Examples:
      mnx bench linear --backend keras,ort --batch-sizes 1,32
      mnx bench cnn9 --backend trt --precision fp16,int8 --duration 5
      mnx bench cnn9 --backend trt --cuda-graph --no-include-transfers   # as trtexec 11
      mnx bench cnn1 --backend ort,openvino --precision fp32,int8,bf16
      mnx bench --all --iterations 500 --threads 2
      mnx bench my_model.onnx linear --backend ort
      mnx bench resnet.onnx --shapes input:1x3x224x224 --batch-sizes 1,8
    """
    from mnx.bench.records import BenchConfig
    from mnx.bench.report import save
    from mnx.bench.run import trained_networks

    root: Path = ctx.obj.artifacts
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
    selected = tuple(names)
    if all_:
        selected = tuple(trained_networks(root))
        if not selected:
            from mnx.errors import MissingArtifactError

            raise MissingArtifactError(
                f"No trained network in '{root}'",
                expected="at least one model.keras under it",
                fix="run `mnx train NAME` (or `mnx pipeline --quick`)",
            )
    warm_n, warm_s = _warmup(warmup)
    files = _file_fields(shapes, preprocess, data_file, seed)
    if files["shapes"] and not _named(ctx, "batch_sizes"):
        batch_sizes = str(files["shapes"][0][1][0])  # as trtexec: run the shape given
    config = BenchConfig(
        networks=selected,
        backends=tuple(split_csv(backend)),  # type: ignore[arg-type]  # parsed in __post_init__
        precisions=tuple(split_csv(precision)),  # type: ignore[arg-type]
        batch_sizes=tuple(_batch_sizes(batch_sizes)),
        duration_s=None if iterations is not None else (2.0 if duration is None else duration),
        iterations=iterations,
        warmup_iterations=warm_n,
        warmup_s=warm_s,
        threads=threads,
        eval_limit=limit,
        keras_mode=keras_mode,  # type: ignore[arg-type]
        backends_named=_named(ctx, "backend"),
        cuda_graph=cuda_graph,
        include_transfers=include_transfers,
        **files,
    )
    if on_every_node or ray_address:
        _bench_every_node(config, root, ray_address, on_every_node, no_save)
        return
    from mnx.toolkit.external import is_model_file

    if not all(is_model_file(n) for n in selected):
        require_keras()  # the Keras reference (and the keras backend) need it
    results = _bench_with_progress(config, root)
    _render(results, None if no_save else save(results, root), wide)


def _bench_every_node(
    config: Any, root: Path, address: str | None, on_every_node: bool, no_save: bool
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

    per_node = bench_on_every_node(config, root, address, say=lambda m: click.echo(m, err=True))
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
@click.option("--wide", is_flag=True, help=WIDE_HELP)
@click.pass_obj
def report_cmd(obj: object, results_file: str | None, no_plots: bool, wide: bool) -> None:
    """Redraw the table and plots of a saved results file (default: the latest).

    Plots are written next to the file: <stem>.latency.png and <stem>.pareto.png
    (accuracy vs latency, one panel per batch size, Pareto front drawn).

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
    render_terminal(results, wide=wide)
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
    """Relative change from BASELINE (A) to CANDIDATE (B) per matching row; exit status 1 when
    any row regressed past the thresholds or no row matched (use it as a CI gate), 0 otherwise.

    \b
    Examples:
      mnx compare artifacts/bench/old.json artifacts/bench/latest.json
      mnx compare a.json b.json --threshold 10 --accuracy-drop 0.5
    """
    from mnx.bench.compare import RegressionError, check_thresholds, compare, render
    from mnx.bench.records import BenchResults

    check_thresholds(threshold, accuracy_drop)
    cmp = compare(
        BenchResults.load(Path(baseline)),
        BenchResults.load(Path(candidate)),
        threshold,
        accuracy_drop,
        names=(baseline, candidate),
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
@click.option(
    "--threads",
    type=int,
    default=None,
    help="ONNX Runtime intra-op / OpenVINO inference threads (1..256).",
)
@click.pass_context
def pipeline_cmd(
    ctx: click.Context,
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
    from mnx.workflows.pipeline import DEFAULT_NETWORK, PipelineOptions, run_pipeline

    options = PipelineOptions(
        quick=quick,
        backends=tuple(split_csv(backend)),  # type: ignore[arg-type]  # parsed by BenchConfig
        batch_sizes=tuple(_batch_sizes(batch_sizes)),
        duration_s=duration,
        threads=threads,
        backends_named=_named(ctx, "backend"),
    )
    options.bench_config(names or (DEFAULT_NETWORK,))  # every option checked before any work
    require_keras()
    root: Path = ctx.obj.artifacts
    out = run_pipeline(list(names), options, root, say=lambda m: click.echo(m, err=True))
    for s in out.steps:
        click.echo(
            f"{s.network}: {s.step} {s.status} ({s.seconds:.1f} s)"
            f"{f' - {s.detail}' if s.detail else ''}",
            err=True,
        )
    _render(out.results, save(out.results, root))


COMMANDS: list[click.Command] = [bench_cmd, report_cmd, compare_cmd, pipeline_cmd]
