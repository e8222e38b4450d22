"""CLI command: bench (thin: parse into a BenchConfig, call bench.run, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mnx.cli.bench_common import (
    ALL_BACKENDS,
    BACKENDS,
    PRECISIONS,
    WIDE_HELP,
    batch_sizes_option,
    bench_with_progress,
    file_fields,
    named,
    render,
    warmup_option,
)
from mnx.cli.common import require_keras
from mnx.errors import UsageError
from mnx.toolkit.options import Preprocess, split_csv


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
    no_save: bool,
    wide: bool,
    ray_address: str | None,
    on_every_node: bool,
    **options: Any,
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
    from mnx.bench.report import save

    root: Path = ctx.obj.artifacts
    config = _bench_config(ctx, _selected(names, all_, root), options)
    if on_every_node or ray_address:
        _bench_every_node(config, root, ray_address, on_every_node, no_save)
        return
    from mnx.toolkit.external import is_model_file

    if not all(is_model_file(n) for n in config.networks):
        require_keras()  # the Keras reference (and the keras backend) need it
    results = bench_with_progress(config, root)
    render(results, None if no_save else save(results, root), wide)


def _selected(names: tuple[str, ...], all_: bool, root: Path) -> tuple[str, ...]:
    """NAMES, or with --all every trained network (user and exported-Keras names included)."""
    from mnx.bench.run import trained_networks

    if all_ and names:
        raise UsageError(
            "Network names were given together with --all",
            expected="names or --all",
            fix="drop --all or the names",
        )
    if not all_:
        return tuple(names)
    selected = tuple(trained_networks(root))
    if not selected:
        from mnx.errors import MissingArtifactError

        raise MissingArtifactError(
            f"No trained network in '{root}'",
            expected="at least one model.keras under it",
            fix="run `mnx train NAME` (or `mnx pipeline --quick`)",
        )
    return selected


def _bench_config(ctx: click.Context, selected: tuple[str, ...], o: dict[str, Any]) -> Any:
    """The command's options as one BenchConfig (which validates every field and range)."""
    from mnx.bench.records import BenchConfig

    if o["duration"] is not None and o["iterations"] is not None:
        raise UsageError(
            "--duration and --iterations were both given",
            expected="one of them",
            fix="drop one of the two options",
        )
    warm_n, warm_s = warmup_option(o["warmup"])
    files = file_fields(o["shapes"], o["preprocess"], o["data_file"], o["seed"])
    batch_sizes = o["batch_sizes"]
    if files["shapes"] and not named(ctx, "batch_sizes"):
        batch_sizes = str(files["shapes"][0][1][0])  # as trtexec: run the shape given
    duration = o["duration"]
    return BenchConfig(
        networks=selected,
        backends=tuple(split_csv(o["backend"])),  # type: ignore[arg-type]  # parsed by BenchConfig
        precisions=tuple(split_csv(o["precision"])),  # type: ignore[arg-type]
        batch_sizes=tuple(batch_sizes_option(batch_sizes)),
        duration_s=None if o["iterations"] is not None else (2.0 if duration is None else duration),
        iterations=o["iterations"],
        warmup_iterations=warm_n,
        warmup_s=warm_s,
        threads=o["threads"],
        eval_limit=o["limit"],
        keras_mode=o["keras_mode"],
        backends_named=named(ctx, "backend"),
        cuda_graph=o["cuda_graph"],
        include_transfers=o["include_transfers"],
        **files,
    )


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


COMMANDS: list[click.Command] = [bench_cmd]
