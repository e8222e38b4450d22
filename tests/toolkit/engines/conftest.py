"""Fixtures for the TensorRT tests: the fake `tensorrt` and cuda-python modules, and a network
directory with small real ONNX models (fp32, fp16, symmetric int8 Q/DQ) of the `linear` layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from support.fakes import tensorrt as fake_trt
from support.fakes.cuda_bindings import FakeCuda
from support.models import NAME, make_variants

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> FakeCuda:
    cuda = FakeCuda()
    cuda.install(monkeypatch)
    return cuda


@pytest.fixture(params=[fake_trt.V10, fake_trt.V11], ids=["trt10", "trt11"])
def trt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, fake_cuda: FakeCuda):  # type: ignore[no-untyped-def]
    """The fake TensorRT, once as 10.16 and once as 11.4."""
    return _install(monkeypatch, request.param, fake_cuda)


@pytest.fixture
def trt10(monkeypatch: pytest.MonkeyPatch, fake_cuda: FakeCuda):  # type: ignore[no-untyped-def]
    return _install(monkeypatch, fake_trt.V10, fake_cuda)


@pytest.fixture
def trt11(monkeypatch: pytest.MonkeyPatch, fake_cuda: FakeCuda):  # type: ignore[no-untyped-def]
    return _install(monkeypatch, fake_trt.V11, fake_cuda)


def _install(monkeypatch: pytest.MonkeyPatch, version: str, cuda: FakeCuda):  # type: ignore[no-untyped-def]
    import sys

    module = fake_trt.make_tensorrt(version, cuda)
    monkeypatch.setitem(sys.modules, "tensorrt", module)
    return module


@pytest.fixture(scope="session")
def _variants_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("variants") / NAME
    make_variants(path)
    return path


@pytest.fixture
def toy_root(tmp_path: Path, _variants_template: Path) -> Path:
    """An artifacts root holding `linear` with three small ONNX variants (no training)."""
    import shutil

    root = tmp_path / "artifacts"
    shutil.copytree(_variants_template, root / NAME)
    return root


@pytest.fixture
def batch() -> np.ndarray:
    from mnx.toolkit.data import load_mnist

    x = load_mnist(
        Path(__file__).resolve().parents[2] / "data" / "mnist_subset.npz", fetch=False
    ).x_test[:64]
    return (x.reshape(len(x), 784) / 255.0).astype(np.float32)
