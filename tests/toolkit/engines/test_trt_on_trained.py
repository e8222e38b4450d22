"""End to end on the trained tiny networks: toolkit.export's ONNX files -> engines (TensorRT
double, 10 and 11 API) -> TrtRunner outputs vs ONNX Runtime, for the FLAT and the CNN layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mnx.toolkit.export.tensorrt import EngineOptions, build_engines
from mnx.toolkit.runners.trt import TrtRunner
from support.paths import SUBSET  # noqa: E402


@pytest.fixture(scope="module")
def exported(exported_root: Path) -> Path:
    """linear + m31_k3 exported once (fp32, fp16, int8): the session's shared export."""
    return exported_root


@pytest.mark.parametrize("name", ["linear", "m31_k3"])
def test_engines_from_exported_models_match_onnx_runtime(
    trt, exported: Path, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    import onnxruntime as ort

    from mnx import architectures
    from mnx.toolkit.data import load_mnist, preprocess

    root = tmp_path / "root"
    shutil.copytree(exported / name, root / name)
    net = architectures.get(name)
    x = preprocess(
        load_mnist(SUBSET, fetch=False).x_test[:40], net.recipe.preprocessing, net.layout
    )
    for record in build_engines(name, root, EngineOptions(max_batch=64)):
        ref = ort.InferenceSession(str(record.onnx_path), providers=["CPUExecutionProvider"]).run(
            ["output"], {"input": x}
        )[0]
        with TrtRunner(record.engine_path) as runner:
            assert runner.input_shape == (-1, *x.shape[1:])
            out = np.concatenate([runner.infer(x[:1]), runner.infer(x[1:40])])
        np.testing.assert_allclose(out, ref, atol=1e-5)  # the double runs the same ONNX model


def test_export_pipeline_builds_engines_and_bench_runs_them(
    trt, exported: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """`mnx export --trt` -> engines (double) -> `mnx bench --backend trt` rows with real outputs."""
    from mnx.bench.records import BenchConfig
    from mnx.bench.run import run_bench
    from mnx.toolkit.export.pipeline import ExportOptions, export

    root = tmp_path / "root"
    shutil.copytree(exported / "m31_k3", root / "m31_k3")
    report = export(
        "m31_k3",
        ExportOptions(
            fp16=True,
            int8=True,
            calibration_samples=200,
            trt=True,
            engine=EngineOptions(max_batch=64),
        ),
        root,
    )
    assert report.trt_note is None
    assert {e.precision for e in report.engines} == {"fp32", "fp16", "int8"}
    assert all(e.engine_path.exists() and e.max_batch == 64 for e in report.engines)

    config = BenchConfig(
        networks=("m31_k3",),
        backends=("ort", "trt"),  # type: ignore[arg-type]
        precisions=("fp32", "int8"),  # type: ignore[arg-type]
        batch_sizes=(1, 8),
        duration_s=None,
        iterations=5,
    )
    results = run_bench(config, root)
    rows = {(r.backend, r.precision, r.batch_size): r for r in results.rows}
    for precision in ("fp32", "int8"):
        for batch in (1, 8):
            row = rows[("trt", precision, batch)]
            assert row.skipped_reason is None, row.skipped_reason
            assert row.accuracy is not None
    # the double runs the same ONNX files, so TensorRT fp32 accuracy equals ONNX Runtime's
    assert rows[("trt", "fp32", 1)].accuracy == pytest.approx(rows[("ort", "fp32", 1)].accuracy)
