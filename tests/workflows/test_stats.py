"""Statistics over seeds, on constructed results: mean ± sd, range, 95% prediction interval,
the summary's merge rules, and the tables' two forms."""

from __future__ import annotations

import math

import pytest

from mnx.workflows import reproduce as rep
from mnx.workflows.reproduce.stats import is_multi_seed, t975
from support.repro import repro_row

# mlp_512_128 (notebook 002, reported 98.36 %), seeds 0/1/2 as measured here with its recipe.
SEEDS_512 = {0: 0.9789, 1: 0.9805, 2: 0.9805}


def _runs(name: str = "mlp_512_128", accs: dict[int, float] = SEEDS_512) -> list[rep.ReproRow]:
    return [
        repro_row(
            name=name,
            notebook="002",
            reported_test_accuracy=0.9836,
            test_accuracy=a,
            seed=s,
            epochs=20,
        )  # fmt: skip
        for s, a in accs.items()
    ]


def test_t_quantiles() -> None:
    assert t975(1) == pytest.approx(12.706)
    assert t975(2) == pytest.approx(4.303)
    assert t975(30) == pytest.approx(2.042)
    assert t975(60) == pytest.approx(2.000, abs=0.003)  # the approximation past the table
    assert t975(1000) == pytest.approx(1.962, abs=0.003)
    with pytest.raises(ValueError, match="degrees of freedom"):
        t975(0)


def test_seed_stats_of_three_seeds() -> None:
    s = rep.seed_stats(list(reversed(_runs())))
    assert s.seeds == (0, 1, 2) and s.n == 3
    assert s.mean == pytest.approx(0.979967, abs=1e-6)
    sd = math.sqrt(((0.9789 - s.mean) ** 2 + 2 * (0.9805 - s.mean) ** 2) / 2)
    assert s.sd == pytest.approx(sd)
    lo, hi = s.prediction_interval or (0.0, 0.0)
    half = 4.303 * sd * math.sqrt(1 + 1 / 3)
    assert (lo, hi) == (pytest.approx(s.mean - half), pytest.approx(s.mean + half))
    # 98.36 % lies above our three seeds but inside the interval for one more run
    assert s.in_range is False and s.in_interval is True
    assert s.diff_mean_pp == pytest.approx(100 * (s.mean - 0.9836))


def test_one_seed_has_no_spread() -> None:
    s = rep.seed_stats(_runs(accs={0: 0.98}))
    assert s.sd is None and s.prediction_interval is None and s.in_interval is None
    assert s.in_range is False  # 98.36 is not 98.00
    with pytest.raises(ValueError, match="one network"):
        rep.seed_stats(_runs() + _runs("mlp_400_100_bn"))


def test_multi_seed_table_shows_statistics_then_runs() -> None:
    rows = _runs() + _runs("mlp_400_100_bn", {0: 0.9830})
    assert is_multi_seed(rows) and not is_multi_seed(rows[:1])
    table = rep.notebook_table("002", rows)
    stats = next(ln for ln in table.splitlines() if ln.startswith("| mlp_512_128 |"))
    assert "| 0,1,2 | 98.36 | 98.00 ± 0.09 | 97.89–98.05 |" in stats
    assert "| in 95% PI | -0.36 |" in stats and "**mean >0.3 pp**" in stats
    single = next(ln for ln in table.splitlines() if ln.startswith("| mlp_400_100_bn |"))
    # one seed: no sd, no interval
    assert "| 0 | 98.36 | 98.30 | 98.30–98.30 | – | not our run | -0.06 |" in single
    assert "| mlp_512_128 · seed 2 |" in table and "Per run:" in table
    header = next(ln for ln in table.splitlines() if ln.startswith("| network | epochs"))
    assert stats.count("|") == header.count("|")


def test_single_seed_table_keeps_its_form() -> None:
    table = rep.notebook_table("002", _runs(accs={0: 0.9789}))
    assert "mean ± sd" not in table and "Per run" not in table
    assert "| mlp_512_128 | s | 1 | 20 | 98.36 | 97.89 | -0.47 |" in table


def test_merge_accumulates_seeds_and_drops_other_trainings() -> None:
    first = _runs(accs={0: 0.9789, 1: 0.9805})
    more = rep.merge_rows(first, _runs(accs={2: 0.9805}))
    assert [r.seed for r in more] == [0, 1, 2]
    rerun = rep.merge_rows(more, _runs(accs={1: 0.97}))  # same training, seed 1 again
    assert [(r.seed, r.test_accuracy) for r in rerun] == [(0, 0.9789), (1, 0.97), (2, 0.9805)]
    quick = [repro_row(name="mlp_512_128", notebook="002", seed=0, epochs=1, limit=2000)]
    assert [(r.seed, r.epochs) for r in rep.merge_rows(more, quick)] == [(0, 1)]
