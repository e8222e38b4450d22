"""KerasRunner on a trained model: both timed modes give the same probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnx.errors import (
    CorruptArtifactError,
    MissingArtifactError,
    MissingDependencyError,
    UnknownNameError,
)
from mnx.toolkit.runners.keras_runner import KerasRunner


def test_modes_agree_and_scope_names_the_call(trained_root: Path, subset_data) -> None:  # type: ignore[no-untyped-def]
    from mnx import architectures
    from mnx.toolkit.data import preprocess

    net = architectures.get("m31_k3")
    x = preprocess(subset_data.x_test[:16], net.recipe.preprocessing, net.layout)
    path = trained_root / "m31_k3" / "model.keras"
    with KerasRunner(path) as a:
        pa = a.infer(x)
        assert "predict_on_batch" in a.timed_scope
    with KerasRunner(path, mode="function") as f:
        pf = f.infer(x)
        pf1 = f.infer(x[:1])  # another batch size: no error, same values
        assert "tf.function" in f.timed_scope
    assert pa.shape == (16, 10) and pa.dtype == np.float32
    np.testing.assert_allclose(pa.sum(axis=1), 1.0, rtol=1e-5)
    # same weights, same graph; tolerance: different TF kernels order float sums differently
    np.testing.assert_allclose(pa, pf, atol=1e-5)
    np.testing.assert_allclose(pf1, pf[:1], atol=1e-5)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="Unknown Keras mode 'predict'"):
        KerasRunner(tmp_path / "m.keras", mode="predict")
    with pytest.raises(MissingArtifactError, match="mnx train"):
        KerasRunner(tmp_path / "m.keras").load()
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"junk")
    runner = KerasRunner(bad)
    with pytest.raises(CorruptArtifactError, match="cannot be loaded as a Keras model"):
        runner.load()
    assert not runner.is_loaded  # a failed load leaves the runner unloaded


def test_keras_missing_is_a_fix_it_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    path = tmp_path / "m.keras"
    path.write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, "keras", None)  # `import keras` raises ImportError
    with pytest.raises(MissingDependencyError, match="Keras cannot be imported"):
        KerasRunner(path).load()
