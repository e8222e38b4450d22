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
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the tables go (default: <artifacts>/reproduce).",
)
@click.pass_obj
def reproduce_cmd(obj, notebooks, all_, networks, epochs, limit, no_export, out):  # type: ignore[no-untyped-def]
    """Re-run seed notebooks with their recipes and print their comparison tables, seed vs ours.

    Networks already trained with the same recipe and data are reused, so an interrupted run
    continues where it stopped.

    \b
    Examples:
      mnx reproduce 003
      mnx reproduce 004 --networks cnn9,cnn1
      mnx reproduce --all
    """
    from pathlib import Path

    from mnx.errors import UsageError
    from mnx.workflows import reproduce as rep

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
    chosen = list(rep.NOTEBOOKS) if all_ else [n.zfill(3) for n in notebooks]
    only = [n.strip() for n in networks.split(",") if n.strip()]
    require_keras()
    start = time.perf_counter()
    result = rep.reproduce(
        chosen,
        obj.artifacts,
        only=only,
        epochs=epochs,
        limit=limit,
        export=not no_export,
        out_dir=Path(out) if out else None,
        say=lambda m: click.echo(m, err=True),
    )
    for nb in sorted({r.notebook for r in result.rows}):
        click.echo(rep.notebook_table(nb, result.rows))
    click.echo("(The files below cover every network reproduced into that folder so far.)")
    click.echo(f"Tables: {', '.join(str(p) for p in result.tables)}")
    if result.plot:
        click.echo(f"Plot:   {result.plot}")
    click.echo(f"Took {rep.elapsed(start)}.")


COMMANDS.append(reproduce_cmd)
