"""The notebooks' comparison tables, seed vs ours, as Markdown: today's one-row-per-network form
when every network has one seed, and a statistics table (mean ± sd over seeds, range, 95%
prediction interval) above the per-run rows when some network has several."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mnx.toolkit.artifacts import write_text_atomic
from mnx.workflows.reproduce.reported import FLAG_PP, SWING_EPOCHS
from mnx.workflows.reproduce.rows import ReproRow
from mnx.workflows.reproduce.stats import SeedStats, group_by_network, is_multi_seed, seed_stats


def _pct(x: float | None, nd: int = 2) -> str:
    return "–" if x is None else f"{100 * x:.{nd}f}"


def _num(x: float | None, nd: int = 4) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def _diff(ours: float | None, theirs: float | None, scale: float = 100.0, nd: int = 2) -> str:
    if ours is None or theirs is None:
        return "–"
    return f"{scale * (ours - theirs):+.{nd}f}"


def _range(values: Sequence[float]) -> str:
    return "–" if not values else f"{100 * min(values):.2f}–{100 * max(values):.2f}"


def _signed(x: float | None) -> str:
    return "–" if x is None else f"{x:+.2f}"


def _flag(row: ReproRow) -> str:
    d = row.diff_pp
    marks = []
    if d is not None and abs(d) > FLAG_PP:
        marks.append(f"**>{FLAG_PP} pp**")
        if row.within_swing:
            marks.append(f"seed within our last {SWING_EPOCHS} epochs' range")
    if not row.full_recipe:
        marks.append("not the full recipe")
    return ", ".join(marks)


_HEADS = {
    "000": "Test accuracy per model (notebook 000's PrettyTable)",
    "001": "Train/test loss and accuracy per model (notebook 001's final_output table)",
    "002": "MLPs: train and test loss and accuracy (notebook 002's conclusion table)",
    "003": "Final accuracy over the validation (= test) set (notebook 003's printouts)",
    "004": "Train/validation loss, train/test accuracy (notebook 004's conclusion table)",
}


def notebook_table(nb: str, rows: Sequence[ReproRow]) -> str:
    """The notebook's own comparison table, seed vs ours, as Markdown: one row per run, and
    above it the statistics over seeds when some network ran with several."""
    rows = [r for r in rows if r.notebook == nb]
    if not rows:
        return ""
    lines = [f"## Notebook {nb}: {_HEADS[nb]}", ""]
    multi = is_multi_seed(rows)
    if multi:
        lines += [*stats_table(rows), "", "Per run:", ""]
    lines += _runs_table(rows, with_seed=multi)
    lines.append("")
    return "\n".join(lines)


def _run_name(r: ReproRow, with_seed: bool) -> str:
    return f"{r.name} · seed {r.seed}" if with_seed or r.seed != 0 else r.name


def _runs_table(rows: Sequence[ReproRow], *, with_seed: bool) -> list[str]:
    lines = [
        "| network | section | params | epochs | test acc % seed | test acc % ours | Δ pp "
        f"| test acc % seed, last {SWING_EPOCHS} ep | test acc % ours, last {SWING_EPOCHS} ep "
        f"| Δ pp, last-{SWING_EPOCHS} mean "
        "| test loss seed | test loss ours | train acc % seed | train acc % ours "
        "| train loss seed | train loss ours | ONNX fp32 % | ONNX int8 % | s/epoch | note |",
        "|" + "---|" * 20,
    ]
    for r in rows:
        lines.append(
            f"| {_run_name(r, with_seed)} | {r.section} | {r.params:,} | {r.epochs} "
            f"| {_pct(r.reported_test_accuracy)} | {_pct(r.test_accuracy)} "
            f"| {_diff(r.test_accuracy, r.reported_test_accuracy)} "
            f"| {_range(r.reported_last_test_accuracies)} | {_range(r.last_test_accuracies)} "
            f"| {_signed(r.diff_last_mean_pp)} "
            f"| {_num(r.reported_test_loss)} | {_num(r.test_loss)} "
            f"| {_pct(r.reported_train_accuracy)} | {_pct(r.train_accuracy)} "
            f"| {_num(r.reported_train_loss)} | {_num(r.train_loss)} "
            f"| {_pct(r.onnx_fp32_accuracy)} | {_pct(r.onnx_int8_accuracy)} "
            f"| {r.seconds_per_epoch:.1f} | {_flag(r)} |"
        )
    return lines


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _inside(s: SeedStats) -> str:
    """Where the notebook's figure lies: our seed range, our 95% prediction interval."""
    if s.in_range is None:
        return "–"
    if s.in_range:
        return "in range"
    if s.in_interval is None:  # one seed: no interval
        return "not our run"
    return "in 95% PI" if s.in_interval else "**outside both**"


def _stats_note(s: SeedStats, group: Sequence[ReproRow]) -> str:
    marks = []
    if s.diff_mean_pp is not None and abs(s.diff_mean_pp) > FLAG_PP:
        marks.append(f"**mean >{FLAG_PP} pp**")
    if not all(r.full_recipe for r in group):
        marks.append("not the full recipe")
    return ", ".join(marks)


def stats_table(rows: Sequence[ReproRow]) -> list[str]:
    """Per network: test accuracy over seeds beside the notebook's single figure."""
    lines = [
        "| network | epochs | seeds | test acc % seed nb | test acc % ours, mean ± sd "
        "| ours, min–max | ours, 95% PI (one run) | seed nb's figure | Δ pp, mean − seed nb "
        "| test loss ours, mean | ONNX fp32 %, mean | ONNX int8 %, mean | s/epoch, mean | note |",
        "|" + "---|" * 14,
    ]
    for group in group_by_network(rows).values():
        s = seed_stats(group)
        sd = "" if s.sd is None else f" ± {100 * s.sd:.2f}"
        pi = s.prediction_interval
        lines.append(
            f"| {s.name} | {group[0].epochs} | {','.join(map(str, s.seeds))} "
            f"| {_pct(s.reported)} | {100 * s.mean:.2f}{sd} | {_range(s.accuracies)} "
            f"| {_range((max(0.0, pi[0]), min(1.0, pi[1]))) if pi else '–'} "
            f"| {_inside(s)} | {_signed(s.diff_mean_pp)} "
            f"| {_num(_mean([r.test_loss for r in group]))} "
            f"| {_pct(_mean([r.onnx_fp32_accuracy for r in group]))} "
            f"| {_pct(_mean([r.onnx_int8_accuracy for r in group]))} "
            f"| {_mean([r.seconds_per_epoch for r in group]):.1f} | {_stats_note(s, group)} |"
        )
    return lines


def _preamble(multi: bool) -> list[str]:
    text = (
        "Test accuracy is on the 10,000 MNIST test images, which every notebook also used "
        "as its validation set. Δ pp = ours − seed, in percentage points; rows past "
        f"±{FLAG_PP} pp are flagged. The notebooks compared the last epoch; 'last "
        f"{SWING_EPOCHS} ep' is the range of the test accuracy over the last {SWING_EPOCHS} "
        "epochs (the seed's from its printed training log, where it has one), the noise that "
        f"choice alone carries, and 'Δ pp, last-{SWING_EPOCHS} mean' compares their means."
    )
    if multi:
        text += (
            " Where a network ran with several seeds, its statistics come first: mean ± sample "
            "standard deviation over the seeds, their range, and the 95% prediction interval "
            "for one more run (mean ± t·sd·√(1+1/n)); 'seed nb's figure' says whether the "
            "notebook's single run lies in our range or at least in that interval."
        )
    return ["# Seed notebooks vs mnx", "", text, ""]


def write_tables(rows: Sequence[ReproRow], out: Path) -> list[Path]:
    paths = []
    notebooks = sorted({r.notebook for r in rows})
    for nb in notebooks:
        path = out / f"notebook_{nb}.md"
        write_text_atomic(path, notebook_table(nb, rows))
        paths.append(path)
    summary = _preamble(is_multi_seed(rows)) + [notebook_table(nb, rows) for nb in notebooks]
    path = out / "README.md"
    write_text_atomic(path, "\n".join(summary))
    paths.append(path)
    return paths
