"""Statistics of one network's test accuracy over seeds, and where the seed notebook's single
figure falls in them.

The notebook's figure is one run, not a mean, so the question is "could one of our runs have
given it?": our seed range answers it plainly, and the 95% prediction interval for one more run,
mean ± t(0.975, n−1)·sd·√(1 + 1/n), answers it with the spread the seeds show (a confidence
interval of the mean would be √n narrower and would flag runs that are ordinary seed noise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mnx.workflows.reproduce.rows import ReproRow

# Student's t, 97.5th percentile, for 1..30 degrees of freedom (two-sided 95%).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t975(df: int) -> float:
    """t(0.975, df); past 30 degrees of freedom 1.96 + 2.5/df is within 0.002 of it."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    return _T975[df - 1] if df <= len(_T975) else 1.96 + 2.5 / df


@dataclass(frozen=True)
class SeedStats:
    """Test accuracy (fractions) of one network over `n` seeds of the same training."""

    name: str
    notebook: str
    seeds: tuple[int, ...]
    accuracies: tuple[float, ...]
    reported: float | None

    @property
    def n(self) -> int:
        return len(self.accuracies)

    @property
    def mean(self) -> float:
        return sum(self.accuracies) / self.n

    @property
    def sd(self) -> float | None:
        """Sample standard deviation (n − 1); None for one seed."""
        if self.n < 2:
            return None
        m = self.mean
        return math.sqrt(sum((a - m) ** 2 for a in self.accuracies) / (self.n - 1))

    @property
    def low(self) -> float:
        return min(self.accuracies)

    @property
    def high(self) -> float:
        return max(self.accuracies)

    @property
    def prediction_interval(self) -> tuple[float, float] | None:
        """95% prediction interval for one more run; None below two seeds."""
        if self.sd is None:
            return None
        half = t975(self.n - 1) * self.sd * math.sqrt(1 + 1 / self.n)
        return (self.mean - half, self.mean + half)

    @property
    def in_range(self) -> bool | None:
        if self.reported is None:
            return None
        return self.low <= self.reported <= self.high

    @property
    def in_interval(self) -> bool | None:
        pi = self.prediction_interval
        if self.reported is None or pi is None:
            return None
        return pi[0] <= self.reported <= pi[1]

    @property
    def diff_mean_pp(self) -> float | None:
        """Our mean − the notebook's figure, percentage points."""
        return None if self.reported is None else 100.0 * (self.mean - self.reported)


def group_by_network(rows: Sequence[ReproRow]) -> dict[str, list[ReproRow]]:
    """Rows per network in their order; the summary holds one training per network
    (rows.merge_rows), so a group's rows differ only in their seed."""
    groups: dict[str, list[ReproRow]] = {}
    for r in rows:
        groups.setdefault(r.name, []).append(r)
    return groups


def seed_stats(rows: Sequence[ReproRow]) -> SeedStats:
    """Statistics of one network's rows (all of one network)."""
    names = {r.name for r in rows}
    if len(names) != 1:
        raise ValueError(f"seed_stats takes the rows of one network, got {sorted(names)}")
    ordered = sorted(rows, key=lambda r: r.seed)
    return SeedStats(
        name=ordered[0].name,
        notebook=ordered[0].notebook,
        seeds=tuple(r.seed for r in ordered),
        accuracies=tuple(r.test_accuracy for r in ordered),
        reported=ordered[0].reported_test_accuracy,
    )


def is_multi_seed(rows: Sequence[ReproRow]) -> bool:
    """Some network has runs with more than one seed."""
    return any(len({r.seed for r in g}) > 1 for g in group_by_network(rows).values())
