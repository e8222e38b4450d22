"""`mnx list`: the zoo table, its filters and its JSON form (no model is built)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import mnx.cli


def _invoke(*args: str) -> Result:
    mnx.cli._register_commands()
    return CliRunner().invoke(mnx.cli.cli, list(args))


def test_table_lists_all_38_with_sizes_accuracy_and_recipe() -> None:
    result = _invoke("list")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "38 networks" in out
    for needle in (
        "cnn9",
        "3,210,378",
        "99.54",
        "Adadelta lr=1, 13 ep, bs 128",
        "linear",
        "7,960",
        "91.59",
        "SGD lr=0.5, 17 ep, bs 100",
        "m31_k3",
        "50,410",
        "Adam lr=0.001, 25 ep, bs 128",
        "37,987,722",
    ):
        assert needle in out, needle


def test_json_has_every_network_and_flags_trained_ones(tmp_path: Path) -> None:
    root = tmp_path / "arts"
    (root / "cnn9").mkdir(parents=True)
    (root / "cnn9" / "model.keras").write_bytes(b"not read by list")
    (root / "linear").mkdir()  # a folder without model.keras is not "trained"
    result = _invoke("--artifacts", str(root), "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 38
    by_name = {r["name"]: r for r in rows}
    assert [n for n, r in by_name.items() if r["trained"]] == ["cnn9"]
    cnn9 = by_name["cnn9"]
    assert (cnn9["seed"], cnn9["family"], cnn9["params"]) == ("004", "cnn", 3_210_378)
    assert (cnn9["optimizer"], cnn9["learning_rate"], cnn9["epochs"]) == ("Adadelta", 1.0, 13)
    assert cnn9["reported_accuracy"] == 0.9954
    assert by_name["linear"]["layout"] == "flat"


def test_trained_column_in_table(tmp_path: Path) -> None:
    (tmp_path / "m31_k3").mkdir()
    (tmp_path / "m31_k3" / "model.keras").write_bytes(b"x")
    result = _invoke("--artifacts", str(tmp_path), "list", "--seed", "001")
    assert result.exit_code == 0, result.output
    m31 = next(line for line in result.output.splitlines() if " m31_k3 " in line)
    m21 = next(line for line in result.output.splitlines() if " m21_k3 " in line)
    assert "yes" in m31 and "yes" not in m21


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--family", "linear"], ["linear"]),
        (
            ["--family", "mlp", "--seed", "002"],
            ["mlp_512_128", "mlp_400_100_bn", "mlp_400_200_100_bn", "mlp_500_350_200_100_50_bn"],
        ),
        (["--seed", "4", "--family", "CNN"], [f"cnn{i}" for i in range(1, 11)]),
        (["--seed", "003", "--family", "mlp"], ["mlp_3x1500", "mlp_3x1500_do"]),
    ],
)
def test_filters(args: list[str], expected: list[str]) -> None:
    result = _invoke("list", *args, "--json")
    assert result.exit_code == 0, result.output
    assert [r["name"] for r in json.loads(result.output)] == expected


def test_bad_seed_is_a_usage_error() -> None:
    result = _invoke("list", "--seed", "9")
    assert result.exit_code == 2
    assert "000, 001, 002, 003, 004" in result.output


def test_listing_does_not_import_tensorflow() -> None:
    # `mnx list` must stay instant: parameter counts come from the catalog, not built models.
    import subprocess

    code = (
        "import sys, mnx.cli; mnx.cli.main(['list', '--json']); "
        "sys.exit(int('tensorflow' in sys.modules or 'keras' in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_partial_training_is_marked(tmp_path: Path) -> None:
    for name, partial in (("m31_k3", "1 of 12 epochs, 5,000 training images"), ("m21_k3", None)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.keras").write_bytes(b"x")
        (tmp_path / name / "train.json").write_text(json.dumps({"partial": partial}))
    result = _invoke("--artifacts", str(tmp_path), "list", "--seed", "001")
    assert result.exit_code == 0, result.output
    m31 = next(line for line in result.output.splitlines() if " m31_k3 " in line)
    m21 = next(line for line in result.output.splitlines() if " m21_k3 " in line)
    assert "partial" in m31 and "yes" in m21 and "partial" not in m21
    assert "m31_k3: partial training (1 of 12 epochs, 5,000 training images)" in result.output
