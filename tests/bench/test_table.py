"""The comparison table: fits 100 columns without cutting a number, answers "which variant",
renders as Markdown, loads in pandas, and its plot draws for several networks."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from mnx.bench import table
from mnx.bench.records import BenchResults, BenchRow
from mnx.bench.report import render_terminal, to_markdown
from support.results import measured_row, results_of

LONG = "mlp_512_256_128_k"  # a long network name


def _many() -> BenchResults:
    """Two networks, three backends, big and small numbers, a skipped backend."""
    rows: list[BenchRow] = []
    for net, scale in (("linear", 0.01), (LONG, 40.0)):
        for b in (1, 32, 256):
            rows += [
                measured_row(net, "keras", "fp32", b, 55.0 * scale * b**0.5),
                measured_row(net, "ort", "fp32", b, scale * b**0.8, accuracy=0.9801),
                measured_row(net, "ort", "int8", b, 0.5 * scale * b**0.8, accuracy=0.9790),
                measured_row(net, "openvino", "int8", b, 0.7 * scale * b**0.8, accuracy=0.9795),
            ]
        rows.append(
            BenchRow(net, "trt", "fp16", None, skipped_reason="TensorRT not installed (pip x)")
        )
    return results_of(rows)


def _render(results: BenchResults, width: int, wide: bool = False) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None)
    render_terminal(results, console, wide=wide)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [100, 80])
def test_default_table_fits_and_cuts_no_number(width: int) -> None:
    results = _many()
    text = _render(results, width)
    lines = text.splitlines()
    assert "…" not in text
    start = next(i for i, line in enumerate(lines) if line.startswith("network"))
    end = next(i for i, line in enumerate(lines) if line.startswith("p50/p99"))
    body = lines[start:end]  # the table and the summary table under it
    assert max(len(line.rstrip()) for line in body) <= width
    base = table.Baselines(results.rows)
    for r in results.measured():  # every figure appears whole
        for cell in (table.fmt_ms(r.p50_ms), table.fmt_int(table.images_per_s(r))):
            assert re.search(rf"(^|\s){re.escape(cell)}(\s|$)", text), cell
    if width >= 100:
        assert "speed-up" in text and "Δ pp" in text and "p99 ms" in text
        assert table.fmt_x(base.speedup(results.measured()[2])) == "2.00x"
    else:
        assert "Hidden to fit" in text  # a column left, and the footer says which


def test_piped_output_is_100_wide_unless_columns_says(monkeypatch: pytest.MonkeyPatch) -> None:
    from mnx.bench.report import make_console

    monkeypatch.delenv("COLUMNS", raising=False)
    assert make_console().width == 100  # pytest captures stdout: not a terminal
    monkeypatch.setenv("COLUMNS", "120")
    assert make_console().width == 120


def test_wide_table_is_never_squeezed() -> None:
    text = _render(_many(), 100, wide=True)
    assert "…" not in text
    assert "max |diff|" in text and "MiB" in text and "cold ms" in text
    assert "0.030" in text  # 31,840 bytes in MiB


def test_optional_text_column_shows_in_wide_only() -> None:
    import dataclasses

    rows = list(_many().rows)
    rows[3] = dataclasses.replace(rows[3])
    object.__setattr__(rows[3], "executed_precision", "int8 5/7")  # a backend's extra field
    results = results_of(rows)
    assert "int8 5/7" in _render(results, 100, wide=True)
    assert "int8 5/7" not in _render(results, 100)


def test_answer_names_the_true_fastest_per_batch() -> None:
    rows = [
        measured_row("m", "keras", "fp32", 1, 0.50, accuracy=0.9900),
        measured_row("m", "ort", "fp32", 1, 0.040, accuracy=0.9900),
        # fastest by p50 although its mean (and a mean-based images/s) says otherwise
        measured_row("m", "ort", "int8", 1, 0.03125, accuracy=0.9890, mean_ms=0.09),
        measured_row("m", "keras", "fp32", 256, 5.0),
        measured_row("m", "ort", "fp32", 256, 2.0),
        measured_row("m", "ort", "int8", 256, 2.5),
    ]
    best = table.fastest(rows)
    assert [(b.row.batch_size, b.variant) for b in best] == [(1, "ort int8"), (256, "ort fp32")]
    assert table.answer_line(best[0]) == (
        "batch 1: fastest ort int8 — 0.0312 ms p50, 1.28x ort fp32, -0.10 pp"
    )
    assert table.answer_line(best[1]).startswith(
        "batch 256: fastest ort fp32 — 2.000 ms p50, 2.50x keras fp32"
    )
    text = _render(results_of(rows), 100)
    assert "batch 1: fastest ort int8" in text
    # images/s comes from p50 too, so it ranks int8 first as well
    assert table.images_per_s(rows[2]) > table.images_per_s(rows[1])  # type: ignore[operator]


def test_several_networks_get_one_summary_table() -> None:
    text = _render(_many(), 100)
    assert "Fastest variant per network and batch size" in text
    assert text.count(f"{LONG}") >= 4  # in the table and the summary
    summary = text[text.index("Fastest variant") :]
    assert re.search(rf"{LONG}\s+256\s+ort int8", summary)


def test_skipped_and_unstable_fold_into_one_line_each() -> None:
    rows = list(_many().rows)
    rows[0] = measured_row("linear", "keras", "fp32", 1, 0.5, cov=0.41)
    rows[1] = measured_row("linear", "ort", "fp32", 1, 0.01, cov=0.07)
    text = _render(results_of(rows), 100)
    lines = [line for line in text.replace("\n ", " ").split("\n")]
    unstable = [line for line in lines if line.startswith("Unstable timing")]
    assert len(unstable) == 1 and "2 of 24 rows" in unstable[0] and "41%" in unstable[0]
    assert "try a longer" not in text  # the advice that did not work is gone
    skipped = [line for line in text.split("\n") if line.startswith("Skipped")]
    assert len(skipped) == 1 and "trt fp16" in skipped[0] and "TensorRT not installed" in text


def test_markdown_parses_to_tables() -> None:
    from markdown_it import MarkdownIt

    results = _many()
    md = to_markdown(results)
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) == 3  # default, summary (several networks), all columns
    header_cells = []
    i = next(i for i, t in enumerate(tokens) if t.type == "table_open")
    for t in tokens[i:]:
        if t.type == "thead_close":
            break
        if t.type == "inline":
            header_cells.append(t.content)
    assert header_cells[:4] == ["network", "backend", "prec", "batch"]
    inline = [t.content for t in tokens if t.type == "inline"]
    assert "max \\|diff\\|" in md and "max |diff|" in inline  # the bar is escaped, not a cell
    rows = sum(1 for t in tokens if t.type == "tr_open")
    measured = len(results.measured())
    assert rows == 3 * 0 + (measured + 1) * 2 + (len(table.fastest(results.rows)) + 1)


def test_rows_load_in_one_pandas_call(tmp_path: Path) -> None:
    import json

    import pandas as pd

    from mnx.bench.report import save

    results = _many()
    saved = save(results, tmp_path, plots=False)
    df = pd.read_csv(saved.latest_csv)  # the line the README documents
    assert len(df) == len(results.rows) and df["p50_ms"].dtype.kind == "f"
    with open(saved.latest) as f:
        dj = pd.json_normalize(json.load(f)["rows"])
    assert list(dj["network"]) == list(df["network"])


def test_pareto_front_and_plot_for_several_networks(tmp_path: Path) -> None:
    from mnx.bench.plots import draw_plots, log_ticks, pareto_front

    assert pareto_front([(1, 90), (2, 95), (3, 94), (0.5, 80), (2, 96)]) == [
        (0.5, 80),
        (1, 90),
        (2, 96),
    ]
    assert len(log_ticks(0.02, 0.05)) >= 3 and log_ticks(0.01, 0.3) == [0.01, 0.02, 0.05, 0.1, 0.2]
    assert log_ticks(0.003, 40_000) == [0.01, 0.1, 1, 10, 100, 1000, 10_000]
    paths = draw_plots(_many(), tmp_path / "run")
    assert [p.name for p in paths] == ["run.latency.png", "run.pareto.png"]
    from matplotlib.image import imread

    img = imread(paths[1])
    assert img.shape[1] > 2 * img.shape[0]  # three panels side by side


def test_partial_training_is_marked_in_title_and_footer() -> None:
    import dataclasses

    rows = [
        dataclasses.replace(r, partial_training="1 of 20 epochs, 2,000 training images")
        for r in _many().rows
    ]
    text = _render(results_of(rows), 100)
    assert "linear (partial)" in text
    assert text.count("Partial training") == 1  # one line for every partial network
    flat = " ".join(text.split())  # the footer wraps at the console width
    assert f"linear (1 of 20 epochs, 2,000 training images); {LONG} (1 of 20" in flat


def test_report_wide_from_the_cli_and_unlabelled_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import dataclasses

    from mnx.cli import main

    rows = [
        dataclasses.replace(r, accuracy=None, reference_accuracy=None) if r.network == LONG else r
        for r in _many().rows
    ]
    path = tmp_path / "r.json"
    path.write_text(results_of(rows).to_json())
    assert main(["report", str(path), "--wide", "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "max |diff|" in out and "cold ms" in out and "…" not in out
    assert f"No labelled data: {LONG}" in out
    from mnx.bench.plots import draw_plots

    only_unlabelled = results_of([r for r in rows if r.network == LONG])
    assert [p.name for p in draw_plots(only_unlabelled, tmp_path / "u")] == ["u.latency.png"]
