"""What the bench-type commands share: option parsing, the progress bar, rendering."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mnx.errors import ConfigError
from mnx.toolkit.options import DEFAULT_BACKENDS, Backend, Precision, split_csv

BACKENDS = ",".join(DEFAULT_BACKENDS)
ALL_BACKENDS = ", ".join(Backend)
PRECISIONS = ",".join(Precision)
WIDE_HELP = (
    "All columns: agreement, max |diff|, mean, CoV, params, MiB, GFLOP/s, cold start "
    "(wider than a terminal; piped, nothing is cut)."
)


def batch_sizes_option(value: str) -> list[int]:
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


def warmup_option(value: str) -> tuple[int, float]:
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


def named(ctx: click.Context, option: str) -> bool:
    """Did the user give `option` (rather than take its default)?"""
    source = ctx.get_parameter_source(option)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def file_fields(
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


def bench_with_progress(config: Any, root: Path, data: Any = None) -> Any:
    from mnx.bench.run import run_bench

    if not sys.stderr.isatty():
        return run_bench(config, root, data=data)
    with _ProgressBar() as bar:
        return run_bench(config, root, data=data, progress=bar)


def render(results: Any, saved: Any | None = None, wide: bool = False) -> None:
    from mnx.bench.report import render_terminal

    render_terminal(results, wide=wide)
    if saved is not None:
        click.echo(
            f"Saved {saved.json} (+ .csv, .md, latest.json/.csv{', plots' if saved.plots else ''})"
        )
