"""CLI commands: train, show."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from mnx.cli.common import require_keras
from mnx.toolkit.options import KerasBackend

MAX_EPOCHS = (
    1000  # same bound as toolkit.train_config.MAX_EPOCHS (not imported: keeps --help light)
)
BACKENDS = tuple(b.value for b in KerasBackend)


def _bounded(
    lo: int, hi: int | None, expected: str, fix: str
) -> Callable[[click.Context, click.Parameter, int | None], int | None]:
    """A click callback checking lo <= value <= hi with a what/expected/fix message."""

    def check(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
        if value is None or (value >= lo and (hi is None or value <= hi)):
            return value
        raise click.BadParameter(f"{value} is out of range. Expected: {expected}. Fix: {fix}.")

    return check


@click.command("train")
@click.argument("name")
@click.option(
    "--epochs",
    type=int,
    default=None,
    callback=_bounded(
        1, MAX_EPOCHS, f"1 to {MAX_EPOCHS} epochs", "omit --epochs to use the seed recipe's epochs"
    ),
    help="Epochs (default: the seed recipe's).",
)
@click.option(
    "--batch-size",
    type=int,
    default=None,
    callback=_bounded(
        1, 60_000, "a batch size from 1 to 60000", "omit --batch-size to use the seed recipe's"
    ),
    help="Batch size (default: the seed recipe's).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    callback=_bounded(0, 2**32 - 1, "a seed between 0 and 4294967295", "pass e.g. --seed 1"),
    help="Random seed (weights init, shuffling); same seed, same weights on CPU.",
)
@click.option(
    "--seeds",
    default=None,
    help="Train once per seed, e.g. 0,1,2 or 0-4: seed 0 in <artifacts>/NAME/, seed n in "
    "<artifacts>/seed-n/NAME/; current seeds are reused (--restart retrains).",
)
@click.option(
    "--limit",
    type=int,
    default=None,
    callback=_bounded(
        1, None, "at least 1 training image", "omit --limit to train on every training image"
    ),
    help="Train on the first N training images only (the test set stays whole).",
)
@click.option(
    "--keras-backend",
    type=click.Choice(BACKENDS),
    default=None,
    help="Keras backend (default: $KERAS_BACKEND or tensorflow).",
)
@click.option(
    "--restart",
    is_flag=True,
    help="Ignore an interrupted run's checkpoint and start from epoch 1.",
)
@click.pass_obj
def train_cmd(
    obj: Any,
    name: str,
    epochs: int | None,
    batch_size: int | None,
    seed: int,
    seeds: str | None,
    limit: int | None,
    keras_backend: str | None,
    restart: bool,
) -> None:
    """Train network NAME with its seed recipe (optimizer, learning rate, epochs, batch size,
    preprocessing) and write model.keras, history.json, train.json and loss/accuracy plots to
    <artifacts>/NAME/. As in the notebooks, the test set is the validation set. An interrupted
    run resumes from its last finished epoch unless --restart is given.

    \b
    Examples:
      mnx train cnn9
      mnx train m31_k3 --epochs 2 --limit 5000
      mnx train mlp_512_128 --keras-backend jax
      mnx train mlp_512_128 --seeds 0,1,2
    """
    # The backend must be chosen before anything imports Keras.
    from mnx.toolkit.train import select_backend

    select_backend(keras_backend)
    from mnx.toolkit.train import TrainConfig, train

    config = TrainConfig(
        epochs=epochs, batch_size=batch_size, seed=seed, limit=limit, keras_backend=keras_backend
    )
    require_keras()
    if seeds is not None:
        _train_seeds(obj, name, config, seeds, restart, seed_given=seed != 0)
        return
    result = train(name, config, Path(obj.artifacts), resume=not restart)
    _render_result(result)


def _train_seeds(
    obj: Any, name: str, config: Any, seeds: str, restart: bool, seed_given: bool
) -> None:
    from mnx.errors import UsageError
    from mnx.workflows.seeds import parse_seeds, train_seeds

    if seed_given:
        raise UsageError(
            "Both --seed and --seeds were given",
            expected="--seed N (one model in <artifacts>/NAME) or --seeds LIST (one per seed)",
            fix="drop one of them",
        )
    runs = train_seeds(
        name,
        config,
        Path(obj.artifacts),
        parse_seeds(seeds),
        restart=restart,
        say=lambda m: click.echo(m, err=True),
    )
    accs = [r.result.test_accuracy for r in runs]
    for r in runs:
        how = "trained" if r.trained_now else "current, reused"
        click.echo(f"seed {r.seed}: test accuracy {r.result.test_accuracy:.4f} ({how})  "
                   f"{r.result.model_path}")  # fmt: skip
    if len(accs) > 1:
        mean = sum(accs) / len(accs)
        sd = (sum((a - mean) ** 2 for a in accs) / (len(accs) - 1)) ** 0.5
        click.echo(f"test accuracy over {len(accs)} seeds: {mean:.4f} ± {sd:.4f} (mean ± sd)")


def _render_result(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mnx train {result.name}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    reported = result.reported_accuracy
    table.add_row(
        "test accuracy",
        f"{100 * result.test_accuracy:.2f}%"
        + (f"  (seed notebook: {100 * reported:.2f}%)" if reported is not None else ""),
    )
    table.add_row("test loss", f"{result.test_loss:.4f}")
    table.add_row(
        "test images", f"{result.test_images:,}" + ("  (subset)" if result.data_subset else "")
    )
    table.add_row(
        "trained",
        f"{result.epochs} epochs x {result.train_images:,} images, "
        f"batch {result.batch_size}, seed {result.seed}, {result.keras_backend}",
    )
    partial = getattr(result, "partial", None)
    if partial:
        table.add_row(
            "partial", f"{partial}: less than the recipe, not comparable with the seed's figure"
        )
    table.add_row(
        "seconds/epoch",
        f"{result.mean_seconds_per_epoch:.2f} mean "
        f"(incl. validation; first {result.seconds_per_epoch[0]:.2f})",
    )
    Console().print(table)
    # Paths outside the table: rich would cut long ones to the terminal width.
    click.echo(f"Model: {result.model_path}")
    for p in result.plots:
        click.echo(f"Plot:  {p}")


@click.command("show")
@click.argument("name")
@click.option("--summary", is_flag=True, help="Model summary and per-layer parameter table.")
@click.option("--weights", is_flag=True, help="Violin plots of each layer's kernel weights.")
@click.option("--confusion", is_flag=True, help="Confusion matrix and per-class accuracy.")
@click.option("--samples", is_flag=True, help="Grid of test digits with label and prediction.")
@click.pass_obj
def show_cmd(
    obj: Any, name: str, summary: bool, weights: bool, confusion: bool, samples: bool
) -> None:
    """Draw views of trained network NAME into <artifacts>/NAME/views/ (default: all of them)
    and print its summary and the files written.

    \b
    Examples:
      mnx show cnn9
      mnx show m31_k3 --confusion --samples
    """
    require_keras()
    from mnx.toolkit.views import write_views

    if not (summary or weights or confusion or samples):
        summary = weights = confusion = samples = True
    report = write_views(
        name,
        Path(obj.artifacts),
        summary=summary,
        weights=weights,
        confusion=confusion,
        samples=samples,
    )
    if report.summary:
        click.echo(report.summary)
    if report.per_class_accuracy is not None and report.confusion is not None:
        click.echo(
            f"Test accuracy {100 * (report.test_accuracy or 0.0):.2f}% on "
            f"{int(report.confusion.sum()):,} "
            "images; per class:"
        )
        click.echo(
            "  "
            + "  ".join(f"{d}: {100 * a:.1f}%" for d, a in enumerate(report.per_class_accuracy))
        )
    click.echo("Wrote:")
    for f in report.files:
        click.echo(f"  {f}")


COMMANDS: list[click.Command] = [train_cmd, show_cmd]
