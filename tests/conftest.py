"""Shared test set-up: every test gets its own artifacts dir and reads the committed MNIST subset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.paths import SUBSET

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNX_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setenv("MNX_MNIST", str(SUBSET))
    monkeypatch.setenv("MNX_DATA_DIR", str(tmp_path / "data-cache"))


@pytest.fixture(scope="session")
def subset_data():  # type: ignore[no-untyped-def]
    """The committed real-MNIST subset, loaded once."""
    from mnx.toolkit.data import load_mnist

    return load_mnist(SUBSET, fetch=False)


@pytest.fixture(scope="session")
def trained_root(tmp_path_factory: pytest.TempPathFactory, subset_data) -> Path:  # type: ignore[no-untyped-def]
    """An artifacts root holding two tiny trained networks (1 epoch on the subset):
    `linear` (FLAT layout, 7,960 params) and `m31_k3` (IMAGE layout CNN, 50,410 params).
    Tests that write into it must copy it first (`copy_trained`)."""
    from mnx.toolkit.train import TrainConfig, train

    root = tmp_path_factory.mktemp("trained")
    for name in ("linear", "m31_k3"):
        train(name, TrainConfig(epochs=1, seed=0), root, data=subset_data)
    return root


EXPORT_CALIBRATION_SAMPLES = 200  # enough for stable INT8 ranges on the tiny nets, and fast


@pytest.fixture(scope="session")
def exported_root(trained_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`trained_root` with both networks exported once by the real exporter (fp32, fp16, int8
    s8/u8; no TensorRT), shared by the export, engine, bench and CLI tests. Read-only: tests that
    write copy it first."""
    import shutil

    from mnx.toolkit.export.pipeline import ExportOptions, export

    root = tmp_path_factory.mktemp("exported")
    shutil.copytree(trained_root, root, dirs_exist_ok=True)
    options = ExportOptions(
        fp16=True, int8=True, calibration_samples=EXPORT_CALIBRATION_SAMPLES, trt=False
    )
    with pytest.MonkeyPatch.context() as mp:  # session scope: the autouse env fixture is not active
        mp.setenv("MNX_MNIST", str(SUBSET))
        mp.setenv("MNX_DATA_DIR", str(root.parent / "data-cache"))
        for name in ("linear", "m31_k3"):
            export(name, options, root)
    return root


@pytest.fixture(scope="session")
def bench_root(exported_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of `exported_root` in which linear's FP16 file was never made (so a not-exported
    combination is there to be skipped). Read-only, like `exported_root`."""
    import shutil

    root = tmp_path_factory.mktemp("bench") / "artifacts"
    shutil.copytree(exported_root, root)
    (root / "linear" / "model.fp16.onnx").unlink()
    return root


@pytest.fixture
def copy_trained(trained_root: Path, tmp_path: Path) -> Path:
    """A private, writable copy of `trained_root`."""
    import shutil

    dst = tmp_path / "artifacts"
    shutil.copytree(trained_root, dst, dirs_exist_ok=True)
    return dst
