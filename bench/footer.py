"""The lines under a results table: what the figures mean, what each timed call includes,
notes, one line each for unstable and skipped rows, warnings, and where it ran."""

from __future__ import annotations

from collections.abc import Sequence

from mnx.bench import table
from mnx.bench.records import BenchResults, BenchRow
from mnx.bench.stats import COV_WARN

NO_LABELS = "no labelled data"  # a user's model file with no MNIST or --data labels


def footer_lines(
    results: BenchResults, wide: bool = False, hidden: Sequence[str] = ()
) -> list[str]:
    """What the figures mean, what each call includes, notes, one line each for unstable and
    skipped rows, and where it ran."""
    measured = results.measured()
    lines = []
    if measured:
        lines.append(
            "p50/p99 = latency of one call on one batch, warm-up excluded; images/s = batch / "
            "p50 (one call in flight); speed-up = FP32 p50 / p50 on the same backend and batch; "
            f"Δ pp = accuracy - Keras FP32's, on {_eval_images(results)} test images."
        )
        if wide:
            lines.append(
                "mean ms and images/s (mean) = mean latency and calls per second of timed work; "
                "GFLOP/s from images/s (p50); cold = load + first batch-1 call (import excluded)."
            )
    scopes: dict[str, str] = {}
    for r in measured:
        if r.timed_scope:
            scopes.setdefault(r.backend, r.timed_scope)
    lines += [f"Timed call, {b}: {s}" for b, s in scopes.items()]
    if any(r.compute_ms is not None for r in results.rows):
        lines.append("GPU rows also report H2D / compute / D2H means apart (JSON/CSV).")
    notes = sorted({r.note for r in results.rows if r.note and not r.note.startswith("Keras ")})
    lines += [f"Note: {n}" for n in notes]
    unlabelled = sorted({r.network for r in measured if r.accuracy is None})
    if unlabelled:
        lines.append(f"No labelled data: {', '.join(unlabelled)} (no accuracy, no Δ pp).")
    partial = {r.network: r.partial_training for r in measured if r.partial_training}
    if partial:
        lines.append(
            "Partial training, accuracy below the recipe's (`mnx train NAME` for the full run): "
            + "; ".join(f"{net} ({what})" for net, what in partial.items())
            + "."
        )
    lines += [line for line in (unstable_line(measured), skipped_line(results.rows)) if line]
    lines += warning_lines(measured)
    if hidden:
        lines.append(
            f"Hidden to fit {len(hidden)} column(s) narrower: {', '.join(hidden)} "
            "(a wider terminal or COLUMNS=100 shows them)."
        )
    if not wide and measured:
        lines.append(
            "--wide adds agreement, max |diff|, mean, CoV, params, MiB, GFLOP/s, cold start; "
            "every field is in the .json/.csv."
        )
    p = results.provenance
    lines.append(
        f"Measured {p.created_utc} on {p.cpu or 'unknown CPU'}"
        f"{f' + {p.gpu}' if p.gpu else ''}, "
        f"ORT threads {p.threads or 'default (1 per core)'}, "
        f"mnx {p.mnx_version}, onnxruntime {p.versions.get('onnxruntime', '-')}, "
        f"{'openvino ' + p.versions['openvino'] + ', ' if 'openvino' in p.versions else ''}"
        f"commit {(p.git_commit or '-')[:12]}."
    )
    return lines


def _who(r: BenchRow) -> str:
    return f"{r.network} {r.backend} {r.precision}"


def warning_lines(rows: Sequence[BenchRow]) -> list[str]:
    """One line per variant and warning, naming the batch sizes it came up at (unstable timing
    has its own summary line)."""
    batches: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        for w in r.warnings:
            if not w.startswith("unstable timing"):
                batches.setdefault((_who(r), w), []).append(str(r.batch_size))
    return [f"Warning {who} batch {','.join(b)}: {w}" for (who, w), b in batches.items()]


def unstable_line(rows: Sequence[BenchRow]) -> str | None:
    """'Unstable timing: 3 of 12 rows, p50 CoV > 2.5%, worst: ... 41%' and what helps."""
    bad = sorted((r for r in rows if table.unstable(r)), key=lambda r: -(table.stability(r) or 0))
    if not bad:
        return None
    worst = ", ".join(
        f"{_who(r)} b{r.batch_size} {table.fmt_pct(table.stability(r), 0)}%" for r in bad[:3]
    )
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return (
        f"Unstable timing: {len(bad)} of {len(rows)} rows, p50 CoV > {COV_WARN:.1%}, worst: "
        f"{worst}{more}. {STABILITY_ADVICE}"
    )


#: What helps, from studies/ort_threads.py: other processes competing for the cores, not the
#: measuring time, make the spread; a longer --duration does not shrink it.
STABILITY_ADVICE = (
    "(p50 CoV: how much the p50 of 10 consecutive windows of the run moved.) Other processes "
    "using the CPU move it (see `top`): rerun on an idle machine (--duration does not help)."
)


def skipped_line(rows: Sequence[BenchRow]) -> str | None:
    """All skipped combinations on one line, grouped by reason."""
    skipped = [r for r in rows if r.skipped]
    if not skipped:
        return None
    several = len({r.network for r in rows}) > 1
    groups: dict[tuple[str, str], dict[str, list[str]]] = {}
    for r in skipped:
        what = r.precision if r.batch_size is None else f"{r.precision} batch {r.batch_size}"
        nets = groups.setdefault((r.skipped_reason or "", r.backend), {})
        nets.setdefault(r.network, [])
        if what not in nets[r.network]:
            nets[r.network].append(what)
    parts = []
    for (reason, backend), nets in groups.items():
        by_what: dict[str, list[str]] = {}
        for net, whats in nets.items():
            by_what.setdefault(",".join(whats), []).append(net)
        for what, names in by_what.items():
            on = f" [{', '.join(names)}]" if several else ""
            parts.append(f"{backend} {what}{on} ({reason})")
    return "Skipped: " + "; ".join(parts)


def _eval_images(results: BenchResults) -> str:
    counts = sorted({r.eval_images for r in results.measured() if r.eval_images})
    return "/".join(f"{c:,}" for c in counts) or "the"
