"""Render results: a rich table per network, and JSON + CSV + Markdown files.

Files go to `<root>/bench/<UTC timestamp>.{json,csv,md}` plus a `latest.json` copy; plots
(bench/plots.py) sit beside them as `<stem>.latency.png` and `<stem>.accuracy.png`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mnx.bench.records import BenchResults, BenchRow
from mnx.bench.stats import COV_WARN

LATEST = "latest.json"
NO_LABELS = "no labelled data"  # a user's model file with no MNIST or --data labels


def _f(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def _pct(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v * 100:.{digits}f}%"


def _mb(v: int | None) -> str:
    return "-" if v is None else f"{v / 1e6:.3f}"


def _int(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


# (header, cell) for the comparison table: the columns a reader compares across variants.
COLUMNS: list[tuple[str, Callable[[BenchRow], str]]] = [
    ("backend", lambda r: r.backend),
    ("prec", lambda r: r.precision),
    ("batch", lambda r: "-" if r.batch_size is None else str(r.batch_size)),
    (
        "accuracy",
        lambda r: NO_LABELS if r.accuracy is None and r.eval_images is None else _pct(r.accuracy),
    ),
    ("agree", lambda r: _pct(r.agreement)),
    ("max|diff|", lambda r: _f(r.max_abs_diff, ".1e")),
    ("p50 ms", lambda r: _f(r.p50_ms, ".4f")),
    ("p99 ms", lambda r: _f(r.p99_ms, ".4f")),
    ("CoV", lambda r: _pct(r.cov, 1)),
    ("images/s", lambda r: _f(r.images_per_s, ",.0f")),
    ("params", lambda r: _int(r.params)),
    ("MB", lambda r: _mb(r.model_bytes)),
    ("GFLOP/s", lambda r: _f(r.gflop_per_s, ".2f")),
    ("cold ms", lambda r: _f(r.cold_start_ms, ".1f")),
]


def by_network(results: BenchResults) -> dict[str, list[BenchRow]]:
    out: dict[str, list[BenchRow]] = {}
    for r in results.rows:
        out.setdefault(r.network, []).append(r)
    return out


def footer_lines(results: BenchResults) -> list[str]:
    """What each latency includes, the notes and warnings, and where it ran."""
    lines = ["Latency = one infer call on one batch, warm-up excluded; what a call includes:"]
    scopes: dict[str, str] = {}
    for r in results.measured():
        if r.timed_scope:
            scopes.setdefault(r.backend, r.timed_scope)
    lines += [f"  {b}: {s}" for b, s in scopes.items()]
    if any(r.compute_ms is not None for r in results.rows):
        lines.append(
            "  GPU rows also report CUDA-event H2D / compute / D2H means apart (JSON/CSV)."
        )
    lines.append(
        "Accuracy/agreement/max|diff| over "
        f"{_eval_images(results)} test images vs Keras FP32; images/s = batch x calls/s "
        "(one call in flight); GFLOP/s = FLOPs per image x images/s; cold = load + first "
        "batch-1 inference (library import excluded)."
    )
    notes = sorted({r.note for r in results.rows if r.note and not r.note.startswith("Keras ")})
    lines += [f"Note: {n}" for n in notes]
    skipped: dict[tuple[str, str, str], list[str]] = {}
    unstable: list[str] = []
    for r in results.rows:
        if r.skipped_reason:
            where = "" if r.batch_size is None else f" batch {r.batch_size}"
            skipped.setdefault((r.network, r.backend, r.skipped_reason), []).append(
                r.precision + where
            )
        for w in r.warnings:
            if w.startswith("unstable timing"):
                unstable.append(
                    f"{r.network} {r.backend} {r.precision} b{r.batch_size} ({_pct(r.cov, 1)})"
                )
            else:
                lines.append(
                    f"Warning {r.network} {r.backend} {r.precision} batch {r.batch_size}: {w}"
                )
    if unstable:
        lines.append(
            f"Warning: unstable timing (CoV > {COV_WARN:.1%}; other load on the machine? "
            f"try a longer --duration): {', '.join(unstable)}"
        )
    for (net, backend, reason), precs in skipped.items():
        lines.append(f"Skipped {net} {backend} {', '.join(precs)}: {reason}")
    p = results.provenance
    lines.append(
        f"Measured {p.created_utc} on {p.cpu or 'unknown CPU'}"
        f"{f' + {p.gpu}' if p.gpu else ''}, threads {p.threads or 'default'}, "
        f"mnx {p.mnx_version}, onnxruntime {p.versions.get('onnxruntime', '-')}, "
        f"commit {p.git_commit or '-'}."
    )
    return lines


def _eval_images(results: BenchResults) -> str:
    counts = sorted({r.eval_images for r in results.measured() if r.eval_images})
    return "/".join(f"{c:,}" for c in counts) or "the"


def _table_rows(rows: list[BenchRow]) -> list[tuple[BenchRow, list[str]]]:
    """Rows with their cells; skipped rows of one backend and reason fold into one line."""
    out: list[tuple[BenchRow, list[str]]] = []
    folded: dict[tuple[str, str], list[str]] = {}
    for r in _sorted(rows):
        cells = [cell(r) for _, cell in COLUMNS]
        if r.skipped:
            cells[3] = "skipped"
            key = (r.backend, r.skipped_reason or "")
            if key in folded and r.batch_size is None:
                folded[key][1] += f",{r.precision}"
                continue
            if r.batch_size is None:
                folded[key] = cells
        out.append((r, cells))
    return out


def _sorted(rows: list[BenchRow]) -> list[BenchRow]:
    order = {"keras": 0, "ort": 1, "ort-cuda": 2, "trt": 3}
    prec = {"fp32": 0, "fp16": 1, "int8": 2}
    return sorted(
        rows,
        key=lambda r: (
            r.skipped,
            order.get(r.backend, 9),
            prec.get(r.precision, 9),
            r.batch_size or 0,
        ),
    )


def make_console() -> Any:
    """A rich console; into a file or pipe 200 columns wide, so no column is cut to 80."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=200)


def render_terminal(results: BenchResults, console: Any = None) -> None:
    """Print one table per network, then the footer."""
    from rich.table import Table

    console = console or make_console()
    for name, rows in by_network(results).items():
        table = Table(title=f"{name}", title_justify="left", header_style="bold")
        for header, _ in COLUMNS:
            table.add_column(
                header, justify="left" if header in ("backend", "prec") else "right", no_wrap=True
            )
        for r, cells in _table_rows(rows):
            if r.skipped:
                table.add_row(*cells, style="dim")
            else:
                table.add_row(*cells, style="yellow" if r.warnings else None)
        console.print(table)
    for line in footer_lines(results):
        # markup=False: reasons hold install hints such as 'mnx[tensorrt]'
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def to_markdown(results: BenchResults) -> str:
    out = ["# mnx bench results", ""]
    for name, rows in by_network(results).items():
        out += [
            f"## {name}",
            "",
            "| " + " | ".join(h for h, _ in COLUMNS) + " |",
            "|" + "|".join("---" for _ in COLUMNS) + "|",
        ]
        for _r, cells in _table_rows(rows):
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    out += [f"- {line.strip()}" for line in footer_lines(results)]
    return "\n".join(out) + "\n"


def to_csv(results: BenchResults) -> str:
    """Every field of every row (one line per row), plus the results' created time."""
    fields = [f.name for f in dataclasses.fields(BenchRow)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(fields)
    for r in results.rows:
        d = r.to_dict()
        w.writerow(
            [
                "; ".join(d[f]) if isinstance(d[f], list) else ("" if d[f] is None else d[f])
                for f in fields
            ]
        )
    return buf.getvalue()


@dataclass(frozen=True)
class SavedFiles:
    json: Path
    csv: Path
    markdown: Path
    latest: Path
    plots: tuple[Path, ...]


def timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def save(results: BenchResults, root: Path, plots: bool = True) -> SavedFiles:
    """Write `<root>/bench/<UTC timestamp>.{json,csv,md}`, `latest.json` and the plots."""
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
        (),
    )
    write_text_atomic(paths.json, text)
    write_text_atomic(paths.csv, to_csv(results))
    write_text_atomic(paths.markdown, to_markdown(results))
    write_text_atomic(paths.latest, text)
    if plots:
        from mnx.bench.plots import draw_plots

        paths = dataclasses.replace(paths, plots=tuple(draw_plots(results, out_dir / stem)))
    return paths


def latest_path(root: Path) -> Path:
    return root / "bench" / LATEST
