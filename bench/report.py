"""Render results: the comparison table (bench/table.py decides its content) on a console or
in Markdown, and the JSON + CSV + Markdown files.

Files go to `<root>/bench/<UTC timestamp>.{json,csv,md}` plus `latest.json` and `latest.csv`
copies; plots (bench/plots.py) sit beside them as `<stem>.latency.png` and `<stem>.pareto.png`.
Rows load in one pandas call: `pd.read_csv("artifacts/bench/latest.csv")`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mnx.bench import table
from mnx.bench.footer import footer_lines
from mnx.bench.records import BenchResults, BenchRow
from mnx.bench.table import Baselines

LATEST = "latest.json"
LATEST_CSV = "latest.csv"
#: Width of a table written into a pipe or file when $COLUMNS is unset (fits 100, as asked).
PIPE_WIDTH = 100


def make_console() -> Any:
    """A rich console: a terminal's own width; into a file or pipe $COLUMNS wide, else 100."""
    import os

    from rich.console import Console

    console = Console()
    if console.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return console  # rich reads $COLUMNS itself
    return Console(width=PIPE_WIDTH)


def render_terminal(results: BenchResults, console: Any = None, wide: bool = False) -> None:
    """The comparison table (default columns fitted to the console, or all with `wide`), the
    fastest variant per batch size under it (a summary table when there are several networks),
    then the footer. No number is ever cut: a column is hidden instead, and says so."""
    from rich.text import Text

    console = console or make_console()
    rows = list(results.rows)
    base = Baselines(rows)
    hidden: list[str] = []
    if results.measured():
        cols = table.columns(rows, wide)
        grid, hidden = _fit(console, rows, cols, base, wide)
        _print_uncut(console, grid)
        best = table.fastest(rows)
        if len({r.network for r in results.measured()}) > 1:
            _print_uncut(console, _summary_grid(console, best))
        else:
            for b in best:
                console.print(Text(table.answer_line(b)), highlight=False)
    for line in footer_lines(results, wide=wide, hidden=hidden):
        # markup=False: reasons hold install hints such as 'mnx[tensorrt]'
        console.print(line, markup=False, highlight=False)


def _grid(title: str | None, headers: list[tuple[str, bool]]) -> Any:
    from rich import box
    from rich.table import Table

    grid = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        header_style="bold",
        pad_edge=False,
        collapse_padding=True,
    )
    for header, numeric in headers:
        grid.add_column(header, justify="right" if numeric else "left", no_wrap=True)
    return grid


def _rich_table(rows: list[BenchRow], cols: list[table.Column], base: Baselines) -> Any:
    names = sorted(
        {r.network + (" (partial)" if r.partial_training else "") for r in rows if not r.skipped}
    )
    grid = _grid(", ".join(names), [(c.header, c.numeric) for c in cols])
    groups = table.batch_groups(rows)
    for gi, group in enumerate(groups):
        for i, r in enumerate(group):
            grid.add_row(
                *(c.cell(r, base) for c in cols),
                style="yellow" if r.warnings or table.unstable(r) else None,
                end_section=i == len(group) - 1 and gi < len(groups) - 1,
            )
    return grid


def _fit(
    console: Any, rows: list[BenchRow], cols: list[table.Column], base: Baselines, wide: bool
) -> tuple[Any, list[str]]:
    """The table at its natural width; droppable columns leave, rank 1 first, until it fits
    (never with --wide)."""

    cols = list(cols)
    hidden: list[str] = []
    while True:
        grid = _rich_table(rows, cols, base)
        width = _natural_width(console, grid)
        droppable = [c for c in cols if c.drop]
        if wide or width <= console.width or not droppable:
            return grid, hidden
        gone = min(droppable, key=lambda c: c.drop)
        cols.remove(gone)
        hidden.append(gone.header)


def _natural_width(console: Any, renderable: Any) -> int:
    """The width `renderable` takes when nothing limits it."""
    from rich.measure import Measurement

    options = console.options.update_width(100_000)
    return Measurement.get(console, options, renderable).maximum


def _print_uncut(console: Any, renderable: Any) -> None:
    """Print at the renderable's natural width even past the console's: rich would otherwise
    squeeze columns and cut numbers to '9…' (a wide table wraps in a terminal; piped, it is whole)."""
    import io

    from rich.console import Console
    from rich.text import Text

    width = _natural_width(console, renderable)
    if width <= console.width:
        console.print(renderable)
        return
    wider = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=console.is_terminal,
        color_system=console.color_system,
    )
    wider.print(renderable)
    text = wider.file.getvalue()  # type: ignore[attr-defined]
    console.print(Text.from_ansi(text.rstrip("\n")), crop=False, soft_wrap=True)


def _summary_grid(console: Any, best: list[table.Best]) -> Any:
    """The many-network summary, hiding its least needed columns on a too-narrow console."""
    headers = list(table.SUMMARY_HEADERS)
    cells = [table.summary_cells(b) for b in best]
    for drop in (None, *table.SUMMARY_DROP):
        if drop is not None:
            i = headers.index(drop)
            headers.pop(i)
            for c in cells:
                c.pop(i)
        grid = _grid(
            "Fastest variant per network and batch size",
            [(h, h in table.SUMMARY_NUMERIC) for h in headers],
        )
        for i, (b, c) in enumerate(zip(best, cells, strict=True)):
            last = i + 1 < len(best) and best[i + 1].row.batch_size != b.row.batch_size
            grid.add_row(*c, end_section=last)
        if _natural_width(console, grid) <= console.width:
            break
    return grid


def to_markdown(results: BenchResults) -> str:
    """GitHub/CommonMark Markdown: the default table, the answer, all columns, the footer."""
    rows = list(results.rows)
    names = ", ".join(sorted({r.network for r in results.measured()}))
    out = [f"# mnx bench results: {names or 'nothing measured'}", ""]
    if results.measured():
        out += _md_rows(rows, table.columns(rows))
        best = table.fastest(rows)
        if len({r.network for r in results.measured()}) > 1:
            out += ["## Fastest variant per network and batch size", ""]
            out += _md_table(
                [(h, h in table.SUMMARY_NUMERIC) for h in table.SUMMARY_HEADERS],
                [table.summary_cells(b) for b in best],
            )
        else:
            out += [f"- {table.answer_line(b)}" for b in best] + [""]
        out += ["## All columns", ""] + _md_rows(rows, table.columns(rows, wide=True))
    out += [f"- {_md_escape(line)}" for line in footer_lines(results, wide=True)]
    return "\n".join(out) + "\n"


def _md_rows(rows: list[BenchRow], cols: list[table.Column]) -> list[str]:
    base = Baselines(rows)
    body = [[c.cell(r, base) for c in cols] for g in table.batch_groups(rows) for r in g]
    return _md_table([(c.header, c.numeric) for c in cols], body)


def _md_escape(text: str) -> str:
    """A `|` splits a GFM table cell even inside backticks; `\\|` is a literal bar."""
    return text.replace("|", "\\|")


def _md_table(headers: list[tuple[str, bool]], body: list[list[str]]) -> list[str]:
    """A GFM table; numeric columns (the bool) right-aligned."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(_md_escape(c) for c in cells) + " |"

    rule = "|" + "|".join("---:" if numeric else "---" for _, numeric in headers) + "|"
    return [line([h for h, _ in headers]), rule, *map(line, body), ""]


def to_csv(results: BenchResults) -> str:
    """Every field of every row (one line per row; lists joined by '; '), then the results'
    `created_utc`, so files of several runs concatenate. Loads with `pd.read_csv(path)`."""
    fields = [f.name for f in dataclasses.fields(BenchRow)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*fields, "created_utc"])
    for r in results.rows:
        d = r.to_dict()
        w.writerow(
            [
                "; ".join(d[f]) if isinstance(d[f], list) else ("" if d[f] is None else d[f])
                for f in fields
            ]
            + [results.provenance.created_utc]
        )
    return buf.getvalue()


@dataclass(frozen=True)
class SavedFiles:
    json: Path
    csv: Path
    markdown: Path
    latest: Path
    latest_csv: Path
    plots: tuple[Path, ...]


def timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def save(results: BenchResults, root: Path, plots: bool = True) -> SavedFiles:
    """Write `<root>/bench/<UTC timestamp>.{json,csv,md}`, `latest.{json,csv}` and the plots."""
    from mnx.toolkit.artifacts import ensure_dir, write_text_atomic

    out_dir = ensure_dir(root / "bench")
    stem = timestamp()
    n = 1
    while (out_dir / f"{stem}.json").exists():  # two runs in one second must not collide
        n += 1
        stem = f"{timestamp()}-{n}"
    text = results.to_json()
    paths = SavedFiles(
        out_dir / f"{stem}.json",
        out_dir / f"{stem}.csv",
        out_dir / f"{stem}.md",
        out_dir / LATEST,
        out_dir / LATEST_CSV,
        (),
    )
    write_text_atomic(paths.json, text)
    rows_csv = to_csv(results)
    write_text_atomic(paths.csv, rows_csv)
    write_text_atomic(paths.markdown, to_markdown(results))
    write_text_atomic(paths.latest, text)
    write_text_atomic(paths.latest_csv, rows_csv)
    if plots:
        from mnx.bench.plots import draw_plots

        paths = dataclasses.replace(paths, plots=tuple(draw_plots(results, out_dir / stem)))
    return paths


def latest_path(root: Path) -> Path:
    return root / "bench" / LATEST
