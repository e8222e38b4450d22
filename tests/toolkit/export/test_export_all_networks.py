"""Every one of the 38 seed networks exports (FP32, FP16, INT8) and passes its parity checks.

Slow (cnn10 alone has 38 M parameters): `tox -e slow` or `pytest -m slow`. The networks are
freshly built and seeded, not trained: the point is that every layer type converts, and the
parity checks on the test images hold for every architecture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mnx import architectures

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", [n.name for n in architectures.all_networks() if n.seed != "user"])
def test_network_exports_with_parity(name: str, tmp_path: Path) -> None:
    import keras

    from mnx.toolkit.export.pipeline import ExportOptions, export

    keras.utils.set_random_seed(0)
    net_dir = tmp_path / "art" / name
    net_dir.mkdir(parents=True)
    architectures.get(name).build().save(net_dir / "model.keras")
    report = export(
        name, ExportOptions(fp16=True, int8=True, calibration_samples=100), tmp_path / "art"
    )
    variants = {v.variant: v for v in report.variants}
    assert set(variants) == {"fp32", "fp16", "int8", "int8.u8"}
    assert variants["fp32"].max_abs_diff is not None and variants["fp32"].max_abs_diff <= 1e-4
    assert variants["fp32"].agreement == pytest.approx(1.0, abs=2e-3)
    keras.backend.clear_session()
