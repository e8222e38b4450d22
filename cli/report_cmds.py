"""CLI commands: report (redraw a saved results file) and compare (A baseline, B candidate)."""

from __future__ import annotations

from pathlib import Path

import click

from mnx.cli.bench_common import WIDE_HELP


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


COMMANDS: list[click.Command] = [report_cmd, compare_cmd]
