"""The comparison table as data: which columns, what each cell says, and the answer under it.

Rendering (rich for terminals, Markdown for files) lives in bench/report.py; this module decides
what is shown. Every figure a reader compares comes from one statistic, the median (p50)
latency of one call: images/s = batch / p50 and speed-up = FP32 p50 / p50 on the same backend
and batch, so the latency and throughput columns always rank variants the same way (a mean
over a heavy-tailed distribution did not). The mean-based figures stay in `--wide`, labelled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from mnx.bench.records import BenchRow
from mnx.bench.stats import COV_WARN

#: Display order of backends and precisions; a backend not listed (a new one) sorts after these.
BACKEND_ORDER = ("keras", "ort", "ort-cuda", "openvino", "trt")
PRECISION_ORDER = ("fp32", "fp16", "int8")
REFERENCE = ("keras", "fp32")
#: Text columns a backend may fill on its rows (BenchRow attribute, header), shown in --wide
#: when any row has a value, e.g. OpenVINO's executed precision "int8 5/7".
OPTIONAL_TEXT = (("executed_precision", "executed"),)


# --- figures derived from a row and its baselines -----------------------------------------


class Baselines:
    """Per network: the Keras FP32 accuracy; per (network, backend, batch): the FP32 p50."""

    def __init__(self, rows: Iterable[BenchRow]) -> None:
        self.reference_accuracy: dict[str, float] = {}
        self.fp32_p50: dict[tuple[str, str, int | None], float] = {}
        for r in rows:
            if r.skipped:
                continue
            ref = r.accuracy if (r.backend, r.precision) == REFERENCE else r.reference_accuracy
            if ref is not None:
                self.reference_accuracy.setdefault(r.network, ref)
            if r.precision == "fp32" and r.p50_ms:
                self.fp32_p50[(r.network, r.backend, r.batch_size)] = r.p50_ms

    def delta_pp(self, r: BenchRow) -> float | None:
        ref = self.reference_accuracy.get(r.network)
        return None if ref is None or r.accuracy is None else 100 * (r.accuracy - ref)

    def speedup(self, r: BenchRow, backend: str | None = None) -> float | None:
        """FP32 p50 on `backend` (default: the row's own) at the same batch / the row's p50."""
        base = self.fp32_p50.get((r.network, backend or r.backend, r.batch_size))
        return None if base is None or not r.p50_ms else base / r.p50_ms


def images_per_s(r: BenchRow) -> float | None:
    """Throughput with one call in flight, from the median latency: batch / p50."""
    if not r.p50_ms or r.batch_size is None:
        return None
    return r.batch_size * 1000.0 / r.p50_ms


def gflop_per_s(r: BenchRow) -> float | None:
    ips = images_per_s(r)
    return None if ips is None or not r.flops_per_image else r.flops_per_image * ips / 1e9


def stability(r: BenchRow) -> float | None:
    """How much the row's p50 varied over the run (CoV over windows; the call CoV for rows
    saved before it was measured)."""
    return r.p50_cov if r.p50_cov is not None else r.cov


def unstable(r: BenchRow) -> bool:
    s = stability(r)
    return s is not None and s > COV_WARN


# --- cell formats ---------------------------------------------------------------------------


def fmt_ms(v: float | None) -> str:
    """Four significant figures or so, at most 7 characters below 10 s: 0.0312, 3.142, 31.42."""
    if v is None:
        return "-"
    for limit, spec in ((1, ".4f"), (10, ".3f"), (100, ".2f"), (1000, ".1f")):
        if abs(v) < limit:
            return format(v, spec)
    return format(v, ",.0f")


def fmt_pct(fraction: float | None, digits: int = 2) -> str:
    return "-" if fraction is None else f"{100 * fraction:.{digits}f}"


def fmt_pp(v: float | None) -> str:
    return "-" if v is None else f"{v:+.2f}"


def fmt_x(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def fmt_int(v: float | None) -> str:
    """Whole numbers with thousands separators; three significant figures below 100."""
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def fmt_mib(n_bytes: int | None) -> str:
    return "-" if n_bytes is None else f"{n_bytes / 2**20:.3f}"


# --- columns ----------------------------------------------------------------------------------


Cell = Callable[[BenchRow, Baselines], str]


@dataclass(frozen=True)
class Column:
    """`drop` > 0: hidden on a console too narrow for the table, rank 1 first (0 = never)."""

    header: str
    cell: Cell
    numeric: bool = True
    drop: int = 0


def _delta(r: BenchRow, b: Baselines) -> str:
    return "ref" if (r.backend, r.precision) == REFERENCE else fmt_pp(b.delta_pp(r))


NETWORK = Column("network", lambda r, b: r.network, numeric=False)
DEFAULT = (
    Column("backend", lambda r, b: r.backend, numeric=False),
    Column("prec", lambda r, b: r.precision, numeric=False),
    Column("batch", lambda r, b: "-" if r.batch_size is None else str(r.batch_size)),
    Column("acc %", lambda r, b: fmt_pct(r.accuracy)),
    Column("Δ pp", _delta, drop=3),
    Column("p50 ms", lambda r, b: fmt_ms(r.p50_ms)),
    Column("p99 ms", lambda r, b: fmt_ms(r.p99_ms), drop=1),
    Column("images/s", lambda r, b: fmt_int(images_per_s(r))),
    Column("speed-up", lambda r, b: fmt_x(b.speedup(r)), drop=2),
)
WIDE_EXTRA = (
    Column("agree %", lambda r, b: fmt_pct(r.agreement)),
    Column("max |diff|", lambda r, b: "-" if r.max_abs_diff is None else f"{r.max_abs_diff:.1e}"),
    Column("mean ms", lambda r, b: fmt_ms(r.mean_ms)),
    Column("CoV %", lambda r, b: fmt_pct(r.cov, 1)),
    Column("p50 CoV %", lambda r, b: fmt_pct(r.p50_cov, 1)),
    Column("images/s (mean)", lambda r, b: fmt_int(r.images_per_s)),
    Column("params", lambda r, b: fmt_int(r.params)),
    Column("MiB", lambda r, b: fmt_mib(r.model_bytes)),
    Column("GFLOP/s", lambda r, b: "-" if (g := gflop_per_s(r)) is None else f"{g:.2f}"),
    Column("cold ms", lambda r, b: fmt_ms(r.cold_start_ms)),
)


def _text_cell(attr: str) -> Cell:
    def cell(r: BenchRow, b: Baselines) -> str:
        return str(getattr(r, attr, None) or "-")

    return cell


def columns(rows: Sequence[BenchRow], wide: bool = False) -> list[Column]:
    """The default columns (with `network` when rows span several), plus the rest if `wide`."""
    out = [NETWORK] if len({r.network for r in rows}) > 1 else []
    out += list(DEFAULT)
    if wide:
        out += list(WIDE_EXTRA)
        for attr, header in OPTIONAL_TEXT:
            if any(getattr(r, attr, None) for r in rows):
                out.append(Column(header, _text_cell(attr), numeric=False))
    return out


def sort_key(r: BenchRow) -> tuple[int, str, int, str, int, str]:
    """Batch size first (rows are grouped by it), then network, backend, precision."""
    back = BACKEND_ORDER.index(r.backend) if r.backend in BACKEND_ORDER else len(BACKEND_ORDER)
    prec = PRECISION_ORDER.index(r.precision) if r.precision in PRECISION_ORDER else 9
    return (r.batch_size or 0, r.network, back, r.backend, prec, r.precision)


def batch_groups(rows: Iterable[BenchRow]) -> list[list[BenchRow]]:
    """Measured rows in display order, one list per batch size."""
    groups: dict[int | None, list[BenchRow]] = {}
    for r in sorted((r for r in rows if not r.skipped), key=sort_key):
        groups.setdefault(r.batch_size, []).append(r)
    return list(groups.values())


# --- the answer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Best:
    """The fastest variant (lowest p50) of one network at one batch size, and what it costs."""

    row: BenchRow
    speedup: float | None  # vs `versus`
    versus: str | None  # "ort fp32", or "keras fp32" when the winner is itself FP32
    delta_pp: float | None  # accuracy minus Keras FP32's

    @property
    def variant(self) -> str:
        return f"{self.row.backend} {self.row.precision}"


def fastest(rows: Iterable[BenchRow]) -> list[Best]:
    """Per (network, batch size), the measured row with the lowest p50, in display order."""
    rows = [r for r in rows if not r.skipped and r.p50_ms]
    base = Baselines(rows)
    winners: dict[tuple[str, int | None], BenchRow] = {}
    for r in sorted(rows, key=sort_key):
        key = (r.network, r.batch_size)
        if key not in winners or (r.p50_ms or 0) < (winners[key].p50_ms or 0):
            winners[key] = r
    out = []
    for r in sorted(winners.values(), key=lambda r: (r.batch_size or 0, r.network)):
        backend = r.backend if r.precision != "fp32" else REFERENCE[0]
        versus: str | None = f"{backend} fp32"
        speed = base.speedup(r, backend)
        if (r.backend, r.precision) == REFERENCE or speed is None:
            versus, speed = None, None
        out.append(Best(r, speed, versus, base.delta_pp(r)))
    return out


def answer_line(best: Best) -> str:
    """'batch 1: fastest ort int8 — 0.0310 ms p50, 1.28x ort fp32, -0.10 pp'."""
    r = best.row
    parts = [f"{fmt_ms(r.p50_ms)} ms p50"]
    parts.append(f"{best.speedup:.2f}x {best.versus}" if best.versus else "the reference")
    if best.delta_pp is not None and best.versus:
        parts.append(f"{best.delta_pp:+.2f} pp")
    line = f"batch {r.batch_size}: fastest {best.variant} — {', '.join(parts)}"
    if unstable(r):
        line += f" (unstable timing, p50 CoV {fmt_pct(stability(r), 0)}%)"
    return line


SUMMARY_HEADERS = ("network", "batch", "fastest", "acc %", "Δ pp", "p50 ms", "images/s", "vs")
SUMMARY_NUMERIC = frozenset({"batch", "acc %", "Δ pp", "p50 ms", "images/s"})
#: Summary columns a too-narrow console hides, first to last.
SUMMARY_DROP = ("images/s", "acc %")


def summary_cells(best: Best) -> list[str]:
    """One line of the many-network summary table."""
    r = best.row
    vs = f"{best.speedup:.2f}x {best.versus}" if best.versus else "reference"
    return [
        r.network,
        str(r.batch_size),
        best.variant,
        fmt_pct(r.accuracy),
        "ref" if best.versus is None else fmt_pp(best.delta_pp),
        fmt_ms(r.p50_ms),
        fmt_int(images_per_s(r)),
        vs,
    ]
