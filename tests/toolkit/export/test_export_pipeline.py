"""Export: FP32/FP16/INT8 ONNX from the tiny trained networks, parity, caching (the CLI:
tests/cli/test_export_cmds.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from support.paths import SUBSET  # noqa: E402

SAMPLES = 200  # calibration images: enough for stable ranges on the tiny nets, and fast


@pytest.fixture(scope="module")
def exported(exported_root: Path) -> Path:
    """linear + m31_k3 exported once (fp32, fp16, int8 s8/u8): the session's shared export."""
    return exported_root


def _opts(**kw):  # type: ignore[no-untyped-def]
    from mnx.toolkit.export.pipeline import ExportOptions

    return ExportOptions(**{"fp16": True, "int8": True, "calibration_samples": SAMPLES, **kw})


def _input(name: str, n: int) -> np.ndarray:
    from mnx import architectures
    from mnx.toolkit.data import load_mnist, preprocess

    net = architectures.get(name)
    return preprocess(load_mnist(SUBSET).x_test[:n], net.recipe.preprocessing, net.layout)


@pytest.mark.parametrize("name", ["linear", "m31_k3"])
def test_fp32_is_valid_named_dynamic_and_matches_keras(exported: Path, name: str) -> None:
    import keras

    path = exported / name / "model.fp32.onnx"
    model = onnx.load_model(str(path))
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["output"]
    assert session.get_inputs()[0].shape[0] == "batch"
    reference = keras.saving.load_model(exported / name / "model.keras", compile=False)
    for n in (1, 7):  # dynamic batch: the same file runs any batch size
        x = _input(name, n)
        out = session.run(["output"], {"input": x})[0]
        assert out.shape == (n, 10)
        np.testing.assert_allclose(out, reference.predict_on_batch(x), atol=1e-4, rtol=0)


def test_report_records_parity_and_skips_when_current(exported: Path) -> None:
    from mnx.toolkit.export import calibration
    from mnx.toolkit.export.pipeline import export

    before = calibration.compute_count
    report = export("m31_k3", _opts(), exported)
    assert [v.variant for v in report.variants] == ["fp32", "fp16", "int8", "int8.u8"]
    assert {v.status for v in report.variants} == {"current"}
    assert report.calibration is None and calibration.compute_count == before
    fp32 = report.variant("fp32")
    assert fp32.images == 1000 and fp32.params == 50_410
    assert fp32.max_abs_diff is not None and fp32.max_abs_diff <= 1e-4
    assert fp32.agreement == 1.0 and fp32.accuracy == fp32.keras_accuracy
    fp16 = report.variant("fp16")
    assert fp16.max_abs_diff is not None and fp16.max_abs_diff <= 1e-2
    for v in ("int8", "int8.u8"):
        assert report.variant(v).agreement is not None and report.variant(v).agreement > 0.9
    assert report.trt_note is not None  # no TensorRT here: said in the report, not an error


def _quantize_nodes(model) -> list:  # type: ignore[no-untyped-def]
    return [n for n in model.graph.node if n.op_type == "QuantizeLinear"]


def test_int8_encodings_are_real_qdq(exported: Path) -> None:
    from onnx import TensorProto, numpy_helper

    for filename, dtype in (
        ("model.int8.onnx", TensorProto.INT8),
        ("model.int8.u8.onnx", TensorProto.UINT8),
    ):
        model = onnx.load_model(str(exported / "m31_k3" / filename))
        inits = {i.name: i for i in model.graph.initializer}
        ops = {n.op_type for n in model.graph.node}
        assert {"QuantizeLinear", "DequantizeLinear"} <= ops
        # Activations are the only QuantizeLinear inputs (weights are stored already quantized).
        zero_points = [inits[n.input[2]] for n in _quantize_nodes(model)]
        assert zero_points and all(z.data_type == dtype for z in zero_points)
        if dtype == TensorProto.INT8:  # symmetric: what TensorRT needs
            assert all(not numpy_helper.to_array(z).any() for z in zero_points)
        weights = [
            i
            for i in model.graph.initializer
            if i.data_type == TensorProto.INT8 and len(i.dims) >= 2
        ]
        assert weights, f"{filename} has no int8 weights"


def test_fp16_has_half_weights_and_float_io(exported: Path) -> None:
    from onnx import TensorProto

    model = onnx.load_model(str(exported / "linear" / "model.fp16.onnx"))
    assert any(i.data_type == TensorProto.FLOAT16 for i in model.graph.initializer)
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    assert model.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT


def test_calibration_cache_reused_only_for_same_settings(copy_trained: Path) -> None:
    from mnx.toolkit.export import calibration
    from mnx.toolkit.export.pipeline import export

    root = copy_trained
    first = export("linear", _opts(), root)
    assert first.calibration == "computed"
    count = calibration.compute_count
    for f in ("model.int8.onnx", "model.int8.u8.onnx"):  # force re-quantization, same settings
        (root / "linear" / f).unlink()
    again = export("linear", _opts(), root)
    assert again.calibration == "reused" and calibration.compute_count == count
    assert again.variant("int8").status == "exported"
    assert again.variant("fp32").status == "current"
    other = export("linear", _opts(calibration_method="minmax"), root)
    assert other.calibration == "computed" and calibration.compute_count == count + 1
    assert other.variant("int8").status == "exported"
    more = export(
        "linear", _opts(calibration_method="minmax", calibration_samples=SAMPLES + 1), root
    )
    assert more.calibration == "computed" and calibration.compute_count == count + 2


def test_retrained_model_is_reexported_and_hand_saved_one_refused(
    copy_trained: Path, subset_data
) -> None:  # type: ignore[no-untyped-def]
    import keras

    from mnx.errors import StaleArtifactError
    from mnx.toolkit.export.pipeline import ExportOptions, export
    from mnx.toolkit.train import TrainConfig, train

    root = copy_trained
    assert export("linear", ExportOptions(), root).variant("fp32").status == "exported"
    assert export("linear", ExportOptions(), root).variant("fp32").status == "current"
    path = root / "linear" / "model.keras"
    model = keras.saving.load_model(path, compile=False)
    model.layers[-1].set_weights([w * 1.01 for w in model.layers[-1].get_weights()])
    model.save(path)  # new weights under the same name, but not from `mnx train`
    with pytest.raises(StaleArtifactError, match="run `mnx train linear`"):
        export("linear", ExportOptions(), root)
    train("linear", TrainConfig(epochs=1, seed=1), root, data=subset_data)
    assert export("linear", ExportOptions(), root).variant("fp32").status == "exported"


def test_corrupted_onnx_weight_fails_parity(exported: Path, tmp_path: Path) -> None:
    import keras
    from onnx import numpy_helper

    from mnx.errors import ExportError
    from mnx.toolkit.export import parity

    model = onnx.load_model(str(exported / "m31_k3" / "model.fp32.onnx"))
    biggest = max(model.graph.initializer, key=lambda i: np.prod(i.dims))
    biggest.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(biggest) * 1.5, biggest.name))
    broken = tmp_path / "broken.onnx"
    onnx.save_model(model, str(broken))
    x = _input("m31_k3", 200)
    ref = keras.saving.load_model(exported / "m31_k3" / "model.keras", compile=False)
    labels = np.zeros(200, dtype=np.int64)
    result = parity.compare(parity.onnx_outputs(broken, x), ref.predict_on_batch(x), labels)
    with pytest.raises(ExportError, match="differs from Keras"):
        parity.enforce("fp32", result)


def test_parity_tolerance_is_enforced_in_export(copy_trained: Path) -> None:
    from mnx.errors import ExportError
    from mnx.toolkit.export.pipeline import ExportOptions, export

    with pytest.raises(ExportError, match="FP32 ONNX differs"):
        export("m31_k3", ExportOptions(), copy_trained, fp32_atol=0.0)
    # a failed check is never recorded as current
    assert export("m31_k3", ExportOptions(), copy_trained).variant("fp32").status == "exported"
