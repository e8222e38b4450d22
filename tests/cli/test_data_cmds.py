"""`mnx data` end to end on the committed subset; errors are one message, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mnx.cli import _register_commands, cli, main
from support.paths import SUBSET  # noqa: E402


@pytest.fixture(autouse=True)
def _no_keras_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    _register_commands()


def test_data_command_reports_source_and_counts(tmp_path: Path) -> None:
    png = tmp_path / "digits.png"
    result = CliRunner().invoke(cli, ["data", "--path", str(SUBSET), "--samples", str(png)])
    assert result.exit_code == 0, result.output
    assert "mnist_subset.npz" in result.output and "(subset)" in result.output
    assert "100 100 100" in result.output  # test-set label counts
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_data_no_fetch_with_nothing_fails_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MNX_MNIST")
    assert main(["data", "--no-fetch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: MNIST is not available") and "MNX_MNIST" in err
    assert "Traceback" not in err
