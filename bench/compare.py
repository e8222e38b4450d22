"""Compare two results files row by row and flag regressions (a CI gate).

Rows match on (network, backend, precision, batch size). A row regresses when its p50 latency
rose, or its images/s fell, by more than `threshold_pct` percent, or its accuracy fell by more
than `accuracy_drop_pp` percentage points. `mnx compare` exits 1 when any row regressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mnx.bench.records import BenchResults, BenchRow
from mnx.errors import ConfigError, MnxError


@dataclass(frozen=True)
class RowChange:
    network: str
    backend: str
    precision: str
    batch_size: int | None
    p50_change_pct: float | None  # (B - A) / A; positive = slower
    images_per_s_change_pct: float | None  # positive = faster
    accuracy_change_pp: float | None  # percentage points; negative = worse
    regressions: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    changes: tuple[RowChange, ...]
    only_in_a: tuple[tuple[str, str, str, int | None], ...]
    only_in_b: tuple[tuple[str, str, str, int | None], ...]
    threshold_pct: float
    accuracy_drop_pp: float
    baseline: str = "A"  # what the user passed, for the header
    candidate: str = "B"

    @property
    def regressed(self) -> bool:
        return any(c.regressions for c in self.changes)


class RegressionError(MnxError):
    """Raised by `mnx compare` when rows regressed (exit status 1)."""

    def __init__(self, cmp: Comparison) -> None:
        bad = [c for c in cmp.changes if c.regressions]
        first = bad[0] if bad else None
        example = (
            (
                f"; first: {first.network} {first.backend} {first.precision} batch "
                f"{first.batch_size}: {', '.join(first.regressions)}"
            )
            if first
            else ""
        )
        super().__init__(
            f"{len(bad)} of {len(cmp.changes)} matching rows regressed{example}",
            expected=f"p50 and images/s within {cmp.threshold_pct:g}% and accuracy within "
            f"{cmp.accuracy_drop_pp:g} pp of the baseline",
            fix="investigate the flagged rows, or raise --threshold if the machine is noisy",
        )
        self.comparison = cmp


class NothingComparedError(MnxError):
    """No measured row of the baseline matches one of the candidate: a gate that compared
    nothing must not pass."""

    def __init__(self, cmp: Comparison) -> None:
        super().__init__(
            f"No row of the candidate '{cmp.candidate}' matches a measured row of the baseline "
            f"'{cmp.baseline}' ({len(cmp.only_in_a)} only in the baseline, {len(cmp.only_in_b)} "
            "only in the candidate)",
            expected="two results files with some network/backend/precision/batch in common",
            fix="compare runs of the same networks and options (see `mnx report FILE`)",
        )
        self.comparison = cmp


def _rel(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or a == 0:
        return None
    return (b - a) / a * 100.0


MAX_THRESHOLD_PCT = 1000.0
MAX_ACCURACY_DROP_PP = 100.0


def compare(
    a: BenchResults,
    b: BenchResults,
    threshold_pct: float = 5.0,
    accuracy_drop_pp: float = 0.1,
    *,
    names: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Relative change from `a` (baseline) to `b` (candidate) per matching measured row;
    NothingComparedError when no row matches. `names` label them in messages."""
    check_thresholds(threshold_pct, accuracy_drop_pp)
    rows_a: dict[tuple[str, str, str, int | None], BenchRow] = {r.key: r for r in a.measured()}
    rows_b: dict[tuple[str, str, str, int | None], BenchRow] = {r.key: r for r in b.measured()}
    changes = []
    matched: set[tuple[str, str, str, int | None]] = set()
    for key, ra in rows_a.items():
        rb = rows_b.get(key)
        if rb is None or rb.source_sha256 != ra.source_sha256:
            continue  # another file under the same name is another model: never compared
        p50 = _rel(ra.p50_ms, rb.p50_ms)
        ips = _rel(ra.images_per_s, rb.images_per_s)
        acc = (
            None
            if ra.accuracy is None or rb.accuracy is None
            else (rb.accuracy - ra.accuracy) * 100.0
        )
        why = []
        if p50 is not None and p50 > threshold_pct:
            why.append(f"p50 +{p50:.1f}%")
        if ips is not None and -ips > threshold_pct:
            why.append(f"images/s {ips:.1f}%")
        if acc is not None and -acc > accuracy_drop_pp:
            why.append(f"accuracy {acc:+.2f} pp")
        changes.append(RowChange(*key, p50, ips, acc, tuple(why)))
        matched.add(key)
    cmp = Comparison(
        changes=tuple(changes),
        only_in_a=tuple(k for k in rows_a if k not in matched),
        only_in_b=tuple(k for k in rows_b if k not in matched),
        threshold_pct=threshold_pct,
        accuracy_drop_pp=accuracy_drop_pp,
        baseline=names[0],
        candidate=names[1],
    )
    if not changes:
        raise NothingComparedError(cmp)
    return cmp


def check_thresholds(threshold_pct: float, accuracy_drop_pp: float) -> None:
    """ConfigError (exit 2) with the range unless 0 < threshold <= 1000 % and
    0 <= drop <= 100 pp (NaN and inf fail)."""
    ok_t = 0 < threshold_pct <= MAX_THRESHOLD_PCT
    ok_a = 0 <= accuracy_drop_pp <= MAX_ACCURACY_DROP_PP
    if not (ok_t and ok_a):
        raise ConfigError(
            f"Bad thresholds (--threshold {threshold_pct:g}, --accuracy-drop {accuracy_drop_pp:g})",
            expected=f"--threshold above 0 up to {MAX_THRESHOLD_PCT:g} percent and "
            f"--accuracy-drop from 0 to {MAX_ACCURACY_DROP_PP:g} percentage points",
            fix="e.g. --threshold 5 --accuracy-drop 0.1",
        )


def render(cmp: Comparison, console: object = None) -> None:
    """A rich table of changes, regressions in red."""
    from rich.table import Table

    from mnx.bench.report import make_console

    con: Any = console or make_console()
    # The files on lines of their own: a table title would wrap long paths.
    con.print(f"Baseline  A: {cmp.baseline}\nCandidate B: {cmp.candidate}", markup=False)
    table = Table(title="Relative change B vs A", title_justify="left")
    for h in ("network", "backend", "prec", "batch", "p50", "images/s", "accuracy", "verdict"):
        table.add_column(
            h, justify="left" if h in ("network", "backend", "prec", "verdict") else "right"
        )

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:+.1f}%"

    for c in cmp.changes:
        table.add_row(
            c.network,
            c.backend,
            c.precision,
            str(c.batch_size),
            pct(c.p50_change_pct),
            pct(c.images_per_s_change_pct),
            "-" if c.accuracy_change_pp is None else f"{c.accuracy_change_pp:+.2f} pp",
            "REGRESSION: " + ", ".join(c.regressions) if c.regressions else "ok",
            style="red" if c.regressions else None,
        )
    con.print(table)
    for k in cmp.only_in_a:
        con.print(f"Only in baseline A (not compared): {' '.join(map(str, k))}", markup=False)
    for k in cmp.only_in_b:
        con.print(f"Only in candidate B (not compared): {' '.join(map(str, k))}", markup=False)
    n = sum(1 for c in cmp.changes if c.regressions)
    con.print(
        f"{n} regression(s) past {cmp.threshold_pct:g}% latency/throughput or "
        f"{cmp.accuracy_drop_pp:g} pp accuracy, over {len(cmp.changes)} matching rows.",
        highlight=False,
    )
