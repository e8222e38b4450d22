"""CLI commands: reproduce (seed notebooks' tables, seed vs ours)."""

from __future__ import annotations

import time

import click

from mnx.cli.common import bounded, require_keras

COMMANDS: list[click.Command] = []


@click.command("reproduce")
@click.argument("notebooks", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every notebook (000 to 004): hours on a CPU.")
@click.option("--networks", default="", help="Comma-separated subset of the notebook's networks.")
@click.option(
    "--epochs",
    type=int,
    default=None,
    callback=bounded(1, 1000, "omit --epochs for the seed's epochs"),
    help="Override the seed's epochs (marked 'not the full recipe' in the tables).",
)
@click.option(
    "--limit",
    type=int,
    default=None,
    callback=bounded(1, 60_000, "omit --limit to train on every training image"),
    help="Train on the first N images only (marked 'not the full recipe').",
)
@click.option("--no-export", is_flag=True, help="Skip the ONNX FP32/INT8 export and its accuracy.")
@click.option(
    "--seeds",
    default=None,
    help="Train each network once per seed, e.g. 0,1,2 or 0-4 (default: seed 0 only); seed n>0 "
    "goes to <artifacts>/seed-n/NAME/. The tables add mean ± sd over seeds.",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Run each network × seed as a Ray task: --ray alone starts Ray on this machine's cores "
    "(or joins $RAY_ADDRESS); --ray=ADDRESS joins a cluster. Needs `pip install 'mnx[ray]'`.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the tables go (default: <artifacts>/reproduce).",
)
@click.pass_obj
def reproduce_cmd(
    obj, notebooks, all_, networks, epochs, limit, no_export, out, seeds, ray_address
):  # type: ignore[no-untyped-def]
    """Re-run seed notebooks with their recipes and print their comparison tables, seed vs ours.

    Networks already trained with the same recipe and data are reused, so an interrupted run
    continues where it stopped. With --ray each network × seed is a Ray task: it asks for one
    GPU when the cluster has GPUs (one CPU otherwise), and its files come back into this
    machine's artifacts directory; on a cluster every node needs mnx installed (the same
    versions). Ctrl-C cancels the tasks; a failed run is reported and the others go on.

    \b
    Examples:
      mnx reproduce 003
      mnx reproduce 004 --networks cnn9,cnn1
      mnx reproduce 002 --seeds 0,1,2 --ray
      mnx reproduce --all --seeds 0-4 --ray=ray://head:10001
    """
    from pathlib import Path

    from mnx.workflows import reproduce as rep
    from mnx.workflows.executors import check_address
    from mnx.workflows.seeds import DEFAULT_SEED, parse_seeds

    if ray_address:  # first: `--ray 003` takes the notebook number as the address
        check_address(ray_address)
    chosen = _notebooks(all_, notebooks)
    only = [n.strip() for n in networks.split(",") if n.strip()]
    say = lambda m: click.echo(m, err=True)  # noqa: E731
    require_keras()
    executor = _executor(ray_address, say)
    start = time.perf_counter()
    result = rep.reproduce(
        chosen,
        obj.artifacts,
        only=only,
        epochs=epochs,
        limit=limit,
        export=not no_export,
        out_dir=Path(out) if out else None,
        seeds=parse_seeds(seeds) if seeds else (DEFAULT_SEED,),
        executor=executor,
        say=say,
    )
    for nb in sorted({r.notebook for r in result.rows}):
        click.echo(rep.notebook_table(nb, result.rows))
    click.echo("(The files below cover every network reproduced into that folder so far.)")
    click.echo(f"Tables: {', '.join(str(p) for p in result.tables)}")
    if result.plot:
        click.echo(f"Plot:   {result.plot}")
    click.echo(f"Took {rep.elapsed(start)}.")
    _raise_failures(result, obj.debug)


def _notebooks(all_: bool, notebooks: tuple[str, ...]) -> list[str]:
    from mnx.errors import UsageError
    from mnx.workflows.reproduce import NOTEBOOKS

    if all_ and notebooks:
        raise UsageError(
            "Both --all and notebook numbers were given",
            expected="either --all or notebook numbers such as 003 004",
            fix="drop one of them",
        )
    if not all_ and not notebooks:
        raise UsageError(
            "No notebook given",
            expected="one or more of 000 001 002 003 004, or --all",
            fix="e.g. `mnx reproduce 003`",
        )
    return list(NOTEBOOKS) if all_ else [n.zfill(3) for n in notebooks]


def _raise_failures(result, debug: bool) -> None:  # type: ignore[no-untyped-def]
    """Each failed run in one line (its traceback under --debug), then one error: exit 1."""
    from mnx.workflows import reproduce as rep

    if not result.failures:
        return
    for f in result.failures:
        click.secho(f"Failed: {f.label}: {f.error}", fg="red", err=True)
        if debug:
            click.echo(f.detail, err=True)
    raise rep.RunsFailedError(
        f"{len(result.failures)} of {len(result.failures) + len(result.rows)} runs failed",
        expected="every network × seed to train and export",
        fix="see the errors above (--debug shows their tracebacks); re-running the same "
        "command retries only what is missing",
    )


def _executor(ray_address: str | None, say):  # type: ignore[no-untyped-def]
    """In this process (default) or Ray tasks (--ray); Ray is imported only here."""
    if ray_address is None:
        return None
    from mnx.workflows.executors import RayExecutor

    return RayExecutor(ray_address, last_files=("train.json",), say=say)


COMMANDS.append(reproduce_cmd)
