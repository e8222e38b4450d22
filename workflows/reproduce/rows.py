"""One reproduced run (network × seed) as a row, and the summary file that accumulates rows over
many `mnx reproduce` commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from mnx.errors import CorruptArtifactError
from mnx.toolkit.artifacts import read_json
from mnx.workflows.reproduce.reported import REPORTED_LAST_EPOCHS


@dataclass(frozen=True)
class ReproRow:
    """One network × seed: the notebook's figures beside ours. Fractions; None = not
    reported/measured."""

    name: str
    notebook: str
    section: str
    params: int
    epochs: int
    reported_test_accuracy: float | None
    test_accuracy: float
    reported_test_loss: float | None
    test_loss: float
    reported_train_accuracy: float | None
    train_accuracy: float | None
    reported_train_loss: float | None
    train_loss: float | None
    seconds_per_epoch: float
    onnx_fp32_accuracy: float | None
    onnx_int8_accuracy: float | None
    trained_now: bool  # False = reused a current model (resumed run)
    full_recipe: bool  # the seed's epochs on all 60,000 training images
    # our per-epoch test (= validation) accuracy over the last SWING_EPOCHS epochs
    last_test_accuracies: tuple[float, ...] = ()
    seed: int = 0
    limit: int | None = None  # trained on the first `limit` images only

    @property
    def training(self) -> tuple[int, int | None, bool]:
        """What makes two runs of one network comparable (seeds aside)."""
        return (self.epochs, self.limit, self.full_recipe)

    @property
    def reported_last_test_accuracies(self) -> tuple[float, ...]:
        return REPORTED_LAST_EPOCHS.get(self.name, ())

    @property
    def within_swing(self) -> bool:
        """The seed's figure lies inside our last epochs' range: the difference is epoch noise."""
        r, ours = self.reported_test_accuracy, self.last_test_accuracies
        return r is not None and bool(ours) and min(ours) <= r <= max(ours)

    @property
    def diff_last_mean_pp(self) -> float | None:
        """Ours − seed on the mean test accuracy of the last epochs: steadier than the last one."""
        ours, theirs = self.last_test_accuracies, self.reported_last_test_accuracies
        if not ours or not theirs:
            return None
        return 100.0 * (sum(ours) / len(ours) - sum(theirs) / len(theirs))

    @property
    def diff_pp(self) -> float | None:
        if self.reported_test_accuracy is None:
            return None
        return 100.0 * (self.test_accuracy - self.reported_test_accuracy)


def load_rows(path: Path) -> list[ReproRow]:
    """Rows of an earlier summary. Columns added or dropped since it was written do not cost the
    other rows (a schema change once wiped a summary here); only unreadable rows are left out."""
    if not path.exists():
        return []
    try:
        raw = read_json(path)["rows"]
    except (KeyError, TypeError, CorruptArtifactError):
        return []  # a foreign file: start the summary afresh
    known = {f.name for f in fields(ReproRow)}
    rows = []
    for r in raw if isinstance(raw, list) else []:
        try:
            kept = {k: v for k, v in r.items() if k in known}
            # JSON gives lists; rows written before the column have none
            kept["last_test_accuracies"] = tuple(kept.get("last_test_accuracies") or ())
            rows.append(ReproRow(**kept))
        except (AttributeError, TypeError):
            continue  # a row missing a required field
    return rows


def merge_rows(old: Sequence[ReproRow], new: Sequence[ReproRow]) -> list[ReproRow]:
    """The summary after a run: its rows replace the same network × seed, and a network trained
    differently now (other epochs or image limit) drops its earlier seeds, so the statistics
    never mix two trainings. Other seeds of the same training are kept: `--seeds 0,1` then
    `--seeds 2` gives three."""
    from mnx import architectures

    by_key: dict[tuple[str, int], ReproRow] = {(r.name, r.seed): r for r in old}
    for r in new:
        stale = [k for k, v in by_key.items() if k[0] == r.name and v.training != r.training]
        for k in stale:
            del by_key[k]
        by_key[(r.name, r.seed)] = _keep_onnx(by_key.get((r.name, r.seed)), r)
    order = {n: i for i, n in enumerate(architectures.names())}
    return sorted(by_key.values(), key=lambda r: (order.get(r.name, len(order)), r.seed))


def _keep_onnx(prev: ReproRow | None, r: ReproRow) -> ReproRow:
    """A --no-export run of the same model keeps the ONNX figures measured before."""
    same_model = prev is not None and (prev.test_accuracy, prev.epochs) == (
        r.test_accuracy,
        r.epochs,
    )
    if prev is None or r.onnx_fp32_accuracy is not None or not same_model:
        return r
    return replace(
        r, onnx_fp32_accuracy=prev.onnx_fp32_accuracy, onnx_int8_accuracy=prev.onnx_int8_accuracy
    )


def rows_json(rows: Sequence[ReproRow]) -> list[dict[str, Any]]:
    from dataclasses import asdict

    return [asdict(r) for r in rows]
