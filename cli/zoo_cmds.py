"""CLI commands: zoo (list)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

SEEDS = ("000", "001", "002", "003", "004", "user")


def _seed_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # Accept "4" as well as "004": the notebooks are numbered 000..004.
    if value is None:
        return None
    seed = value.zfill(3) if value.isdigit() else value.lower()
    if seed not in SEEDS:
        raise click.BadParameter(f"'{value}' is not a seed notebook; use one of {', '.join(SEEDS)}")
    return seed


@click.command("list")
@click.option(
    "--family",
    type=click.Choice(["linear", "mlp", "cnn"], case_sensitive=False),
    default=None,
    help="Only networks of this family.",
)
@click.option(
    "--seed",
    callback=_seed_option,
    default=None,
    metavar="000..004",
    help="Only networks from this seed notebook (000..004, or 'user').",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead.")
@click.pass_obj
def list_cmd(obj: Any, family: str | None, seed: str | None, as_json: bool) -> None:
    """List the registered networks: seed notebook, family, size, the seed's reported test
    accuracy, training recipe, and whether it is trained in the artifacts directory.

    \b
    Examples:
      mnx list
      mnx list --family mlp
      mnx list --seed 004 --json
    """
    from mnx.architectures.zoo.overview import zoo_overview

    entries = zoo_overview(obj.artifacts, family=family.lower() if family else None, seed=seed)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2))
        return
    if not entries:
        click.echo("No network matches these filters; `mnx list` shows all.")
        return
    _render(entries, str(obj.artifacts))


def _render(entries: list[Any], root: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mnx zoo: {len(entries)} networks (trained = in {root})")
    table.add_column("name", style="bold")
    table.add_column("seed")
    table.add_column("family")
    table.add_column("params", justify="right")
    table.add_column("seed acc %", justify="right")
    table.add_column("recipe")
    table.add_column("trained", justify="center")
    for e in entries:
        acc = e.reported_accuracy_pct
        table.add_row(
            e.name,
            e.section if e.section.startswith(e.seed) else f"{e.seed} {e.section}",
            e.family,
            "-" if e.params is None else f"{e.params:,}",
            "-" if acc is None else f"{acc:.2f}",
            f"{e.optimizer} lr={e.learning_rate:g}, {e.epochs} ep, bs {e.batch_size}",
            ("partial" if e.partial else "yes") if e.trained else "-",
        )
    # Off a terminal (pipes, tests) rich would assume 80 columns and wrap every row.
    width = None if sys.stdout.isatty() else 160
    Console(width=width).print(table)
    for e in entries:
        if e.trained and e.partial:
            click.echo(
                f"{e.name}: partial training ({e.partial}); `mnx train {e.name}` for the recipe"
            )


COMMANDS: list[click.Command] = [list_cmd]
