"""Reproduce the seed notebooks: train each network with its recipe (once per seed), export it,
and put the notebook's reported figures beside ours.

    mnx reproduce 004                          # every network of notebook 004
    mnx reproduce 004 --networks cnn9,cnn1
    mnx reproduce 002 --seeds 0,1,2 --ray      # three seeds each, as Ray tasks
    mnx reproduce --all

Resumable: a network × seed already trained with the same recipe, config and data is not
retrained, and export skips current files, so an interrupted run continues where it stopped.

Modules: `reported` (the notebooks' figures), `rows` (one run as a row, the summary file),
`stats` (over seeds), `runs` (the workflow), `tables`, `plot`; the train/export calls are in
workflows.steps and the executors in workflows.executors.
"""

from mnx.workflows.reproduce.plot import plot_reported_vs_ours
from mnx.workflows.reproduce.reported import (
    FLAG_PP,
    NOTEBOOKS,
    REPORTED_EXTRA,
    REPORTED_LAST_EPOCHS,
    SWING_EPOCHS,
)
from mnx.workflows.reproduce.rows import ReproRow, load_rows, merge_rows
from mnx.workflows.reproduce.runs import (
    Failure,
    ReproResult,
    RunsFailedError,
    RunSpec,
    elapsed,
    networks_of,
    reproduce,
    reproduce_one,
)
from mnx.workflows.reproduce.stats import SeedStats, seed_stats
from mnx.workflows.reproduce.tables import notebook_table, stats_table, write_tables

__all__ = [
    "FLAG_PP",
    "NOTEBOOKS",
    "REPORTED_EXTRA",
    "REPORTED_LAST_EPOCHS",
    "SWING_EPOCHS",
    "Failure",
    "ReproResult",
    "ReproRow",
    "RunSpec",
    "RunsFailedError",
    "SeedStats",
    "elapsed",
    "load_rows",
    "merge_rows",
    "networks_of",
    "notebook_table",
    "plot_reported_vs_ours",
    "reproduce",
    "reproduce_one",
    "seed_stats",
    "stats_table",
    "write_tables",
]
