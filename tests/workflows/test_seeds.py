"""The seed layout and `--seeds`: parsing, one folder per seed, reuse of current seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnx.errors import UsageError
from mnx.workflows.seeds import parse_seeds, seed_root, train_seeds


def test_parse_seeds() -> None:
    assert parse_seeds("0,1,2") == (0, 1, 2)
    assert parse_seeds("2, 0-3") == (2, 0, 1, 3)  # order kept, repeats dropped
    for bad in ("", "a", "3-1", "-1", "0,,1", str(2**32)):
        with pytest.raises(UsageError, match="is not a list of seeds"):
            parse_seeds(bad)


def test_seed_zero_keeps_the_plain_layout(tmp_path: Path) -> None:
    assert seed_root(tmp_path, 0) == tmp_path
    assert seed_root(tmp_path, 7) == tmp_path / "seed-7"


def test_train_seeds_one_folder_each_then_reuse(tmp_path: Path, subset_data) -> None:  # type: ignore[no-untyped-def]
    from mnx.toolkit.train import TrainConfig

    config = TrainConfig(epochs=1)
    runs = train_seeds("linear", config, tmp_path, (0, 1))
    assert [(r.seed, r.trained_now) for r in runs] == [(0, True), (1, True)]
    assert runs[0].result.model_path == tmp_path / "linear" / "model.keras"
    assert runs[1].result.model_path == tmp_path / "seed-1" / "linear" / "model.keras"
    assert runs[1].result.seed == 1
    # different seeds, different weights
    assert runs[0].result.test_loss != runs[1].result.test_loss
    again = train_seeds("linear", config, tmp_path, (1, 2))
    assert [(r.seed, r.trained_now) for r in again] == [(1, False), (2, True)]
    assert again[0].result.test_accuracy == runs[1].result.test_accuracy


def test_cli_seed_option_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from mnx.cli import main

    assert main(["reproduce", "003", "--seeds", "1-x"]) == 2
    assert "is not a list of seeds" in capsys.readouterr().err
    assert main(["train", "linear", "--seed", "1", "--seeds", "0,1"]) == 2
    assert "Both --seed and --seeds" in capsys.readouterr().err
    assert main(["reproduce", "--ray", "003"]) == 2  # 003 read as the Ray address
    assert "put --ray after the notebook numbers" in capsys.readouterr().err
