"""CLI command: pipeline (train -> export -> bench, skipping what is current)."""

from __future__ import annotations

from pathlib import Path

import click

from mnx.cli.bench_common import BACKENDS, batch_sizes_option, named, render
from mnx.cli.common import require_keras
from mnx.toolkit.options import split_csv


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
        batch_sizes=tuple(batch_sizes_option(batch_sizes)),
        duration_s=duration,
        threads=threads,
        backends_named=named(ctx, "backend"),
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
    render(out.results, save(out.results, root))


COMMANDS: list[click.Command] = [pipeline_cmd]
