"""Fixtures for the TensorRT tests: the fake `tensorrt` and cuda-python modules, and a network
directory with small real ONNX models (fp32, fp16, symmetric int8 Q/DQ) of the `linear` layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import tensorrt as fake_trt
from fakes.cuda_bindings import FakeCuda

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

NAME = "linear"  # a registered FLAT network: calibration images come from its recipe


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


def make_linear_onnx(path: Path, seed: int = 0) -> Path:
    """784 -> 10 dense + softmax, input 'input' (batch, 784) float32, output 'output'."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w = numpy_helper.from_array(rng.normal(0, 0.05, (784, 10)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.normal(0, 0.05, (10,)).astype(np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["input", "w"], ["mm"], name="dense/matmul"),
         helper.make_node("Add", ["mm", "b"], ["logits"], name="dense/add"),
         helper.make_node("Softmax", ["logits"], ["output"], name="softmax", axis=-1)],
        "linear",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 784])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 10])],
        [w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def make_variants(net_dir: Path, seed: int = 0) -> None:
    """model.fp32.onnx, model.fp16.onnx (keep_io_types) and model.int8.onnx (s8 Q/DQ)."""
    from onnxconverter_common import float16
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    net_dir.mkdir(parents=True, exist_ok=True)
    fp32 = make_linear_onnx(net_dir / "model.fp32.onnx", seed)
    onnx.save(float16.convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True),
              str(net_dir / "model.fp16.onnx"))

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(1)
            self.batches = iter([{"input": rng.random((8, 784), dtype=np.float32)}
                                 for _ in range(4)])

        def get_next(self):  # type: ignore[no-untyped-def]
            return next(self.batches, None)

    quantize_static(str(fp32), str(net_dir / "model.int8.onnx"), Reader(),
                    quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8, extra_options={"ActivationSymmetric": True})


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
    from toolkit.data import load_mnist

    x = load_mnist(Path(__file__).resolve().parents[2] / "data" / "mnist_subset.npz",
                   fetch=False).x_test[:64]
    return (x.reshape(len(x), 784) / 255.0).astype(np.float32)
