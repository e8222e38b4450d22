"""mnx reproduce: seed vs ours tables, reuse of current models (resume), and its errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mnx.errors import UnknownNameError, UsageError
from mnx.workflows import reproduce as rep
from support.repro import repro_row


def test_networks_of_notebook_in_seed_order() -> None:
    assert rep.networks_of(["003"]) == ["linear", "mlp_3x1500", "mlp_3x1500_do", "conv2_k5_adam"]
    assert rep.networks_of(["004"], ["cnn9", "cnn1"]) == ["cnn1", "cnn9"]
    assert len(rep.networks_of(list(rep.NOTEBOOKS))) == 38


def test_networks_of_rejects_bad_names() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean '004'"):
        rep.networks_of(["007"])
    with pytest.raises(UsageError, match="not a network of notebook"):
        rep.networks_of(["003"], ["cnn9"])


def test_every_network_has_reported_figures() -> None:
    from mnx import architectures

    for net in architectures.all_networks():
        if net.seed == "user":
            continue
        assert net.reported_accuracy is not None, net.name
        assert net.name in rep.REPORTED_EXTRA, net.name


def test_reproduce_trains_then_resumes(tmp_path: Path, subset_data) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "art"
    first = rep.reproduce(["003"], root, only=["linear"], epochs=2, export=False)
    row = first.rows[0]
    assert row.trained_now and not row.full_recipe
    assert row.reported_test_accuracy == pytest.approx(0.9159)
    # 2 epochs on the 5,000-image subset with the seed's SGD(0.5) really learns
    assert row.test_accuracy > 0.6
    assert row.diff_pp == pytest.approx(100 * (row.test_accuracy - 0.9159))
    # 2 epochs: both are kept, and the last one is the table's figure
    assert len(row.last_test_accuracies) == 2
    assert row.test_accuracy == pytest.approx(row.last_test_accuracies[-1], abs=1e-6)
    md = (root / "reproduce" / "notebook_003.md").read_text()
    assert "| linear |" in md and "91.59" in md and "not the full recipe" in md
    assert first.plot is not None and first.plot.read_bytes()[:4] == b"\x89PNG"

    # A second run with the same recipe reuses the model instead of retraining it.
    model = root / "linear" / "model.keras"
    mtime = model.stat().st_mtime_ns
    second = rep.reproduce(["003"], root, only=["linear"], epochs=2, export=False)
    assert not second.rows[0].trained_now
    assert second.rows[0].test_accuracy == row.test_accuracy
    assert model.stat().st_mtime_ns == mtime


def test_reproduce_with_export_reports_onnx_accuracy(copy_trained: Path) -> None:
    res = rep.reproduce(["001"], copy_trained, only=["m31_k3"], epochs=1, export=True)
    row = res.rows[0]
    assert not row.trained_now  # the fixture trained it with the same recipe and data
    assert row.onnx_fp32_accuracy == pytest.approx(row.test_accuracy, abs=2e-3)
    assert row.onnx_int8_accuracy is not None
    assert abs(row.onnx_int8_accuracy - row.test_accuracy) < 0.05


def test_cli_reproduce_errors(tmp_path: Path) -> None:
    import subprocess

    mnx = shutil.which("mnx")
    assert mnx
    for args, code in (
        (["reproduce"], 2),
        (["reproduce", "009"], 2),
        (["reproduce", "003", "--all"], 2),
    ):
        proc = subprocess.run([mnx, *args], capture_output=True, text=True)
        assert proc.returncode == code, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("Error:")


def test_summary_accumulates_across_runs(copy_trained: Path) -> None:
    out = copy_trained / "repro-out"
    rep.reproduce(["003"], copy_trained, only=["linear"], epochs=1, export=False, out_dir=out)
    rep.reproduce(["001"], copy_trained, only=["m31_k3"], epochs=1, export=False, out_dir=out)
    summary = (out / "README.md").read_text()
    assert "| linear |" in summary and "| m31_k3 |" in summary
    assert (out / "notebook_001.md").exists() and (out / "notebook_003.md").exists()


def test_swing_columns_and_flag() -> None:
    base = dict(name="m31_k3", notebook="001", reported_test_accuracy=0.9812, test_accuracy=0.9853)
    inside = repro_row(**base, last_test_accuracies=(0.9751, 0.9853))
    outside = repro_row(**base, last_test_accuracies=(0.9840, 0.9853))
    old = repro_row(**base)  # rows saved before the column
    assert inside.within_swing and not outside.within_swing and not old.within_swing
    assert inside.diff_last_mean_pp is None  # notebook 001 printed no per-epoch log
    table = rep.notebook_table("001", [inside, outside, old])
    lines = [ln for ln in table.splitlines() if ln.startswith("| m31_k3")]
    assert "97.51–98.53" in lines[0] and "last 5 epochs' range" in lines[0]
    assert "**>0.3 pp**" in lines[1] and "range" not in lines[1]
    header = next(ln for ln in table.splitlines() if ln.startswith("| network"))
    assert all(ln.count("|") == header.count("|") for ln in lines)


def test_seed_last_epochs_come_from_its_logs() -> None:
    from mnx import architectures

    for name, last in rep.REPORTED_LAST_EPOCHS.items():
        # the seed's printed figure is its last logged epoch
        assert last[-1] == pytest.approx(architectures.get(name).reported_accuracy), name
        assert 4 <= len(last) <= rep.SWING_EPOCHS + 1
    row = repro_row(
        name="mlp_3x1500", reported_test_accuracy=0.9842, test_accuracy=0.9791,
        last_test_accuracies=(0.9822, 0.9834, 0.9815, 0.9838, 0.9791),
    )  # fmt: skip
    seed_mean = sum(rep.REPORTED_LAST_EPOCHS["mlp_3x1500"]) / 5
    assert row.diff_last_mean_pp == pytest.approx(100 * (0.982 - seed_mean))
    line = next(
        ln for ln in rep.notebook_table("003", [row]).splitlines() if "| mlp_3x1500 |" in ln
    )
    assert "98.01–98.54" in line and "97.91–98.38" in line and "**>0.3 pp**" in line


def test_rows_survive_a_json_round_trip(tmp_path: Path) -> None:
    from dataclasses import asdict

    from mnx.toolkit.artifacts import write_json_atomic

    row = repro_row(reported_test_accuracy=0.9159, last_test_accuracies=(0.91, 0.92))
    old = {k: v for k, v in asdict(row).items() if k != "last_test_accuracies"}
    # a column that a later or earlier version wrote (here: swing_min) is ignored, not fatal
    other = {**asdict(row), "name": "mlp_3x1500", "swing_min": 0.9}
    broken = {"name": "cnn9"}  # required fields missing: only this row is left out
    write_json_atomic(tmp_path / "r.json", {"rows": [asdict(row), old, other, broken]})
    back = rep.load_rows(tmp_path / "r.json")
    assert [r.name for r in back] == ["linear", "linear", "mlp_3x1500"]
    assert back[0] == row and back[1].last_test_accuracies == ()
    assert back[2].last_test_accuracies == (0.91, 0.92)


def test_failed_runs_are_reported_not_tabled(tmp_path: Path) -> None:
    """A run that fails (here: more images asked for than the subset has) is a Failure; the
    command goes on with the others and writes no table for nothing."""
    res = rep.reproduce(["003"], tmp_path, only=["linear"], seeds=(0, 1), limit=10**6,
                        export=False)  # fmt: skip
    assert [f.label for f in res.failures] == ["linear seed 0", "linear seed 1"]
    assert "--limit 1000000 is more than" in res.failures[0].error
    assert "Traceback" in res.failures[0].detail
    assert res.rows == () and res.tables == () and res.plot is None
    assert not (tmp_path / "reproduce").exists()


def test_cli_reports_failed_runs_and_exits_1(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from mnx.cli import main

    code = main(["--artifacts", str(tmp_path), "reproduce", "003", "--networks", "linear",
                 "--limit", "60000", "--no-export"])  # fmt: skip  # the subset has 5,000
    err = capsys.readouterr().err
    assert code == 1
    assert "Failed: linear: UsageError: --limit 60000" in err
    assert "Error: 1 of 1 runs failed" in err and "retries only what is missing" in err
