"""`--backend openvino` through run_bench and the CLI, on real OpenVINO (CPU), and what happens
when OpenVINO is not installed (a subprocess that hides the module)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import SUBSET

pytest.importorskip("openvino")


@pytest.fixture(scope="module")
def ov_results(trained_root: Path, subset_data, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """linear (FP32) and m31_k3 (FP32 + INT8) exported, benched on ORT and OpenVINO."""
    from mnx.bench.records import BenchConfig
    from mnx.bench.run import run_bench
    from mnx.toolkit.export.pipeline import ExportOptions, export

    root = tmp_path_factory.mktemp("ovbench") / "artifacts"
    shutil.copytree(trained_root, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNX_MNIST", str(SUBSET))
        export("linear", ExportOptions(trt=False), root)
        export("m31_k3", ExportOptions(int8=True, trt=False, calibration_samples=200), root)
    config = BenchConfig(
        networks=("linear", "m31_k3"),
        backends=("ort", "openvino"),  # type: ignore[arg-type]
        precisions=("fp32", "int8", "bf16"),  # type: ignore[arg-type]
        batch_sizes=(1, 4),
        duration_s=None,
        iterations=5,
        warmup_iterations=1,
        warmup_s=0.0,
        threads=1,
    )
    results = run_bench(config, root, data=subset_data)
    from mnx.toolkit import reference

    # The Keras reference is memoised per process by model checksum; this copy of `linear` has
    # the same checksum as bench_root's, whose on-disk reference cache another test checks.
    reference._MEMORY.clear()
    return root, results


def _row(results, net: str, backend: str, precision: str, batch: int | None = 1):  # type: ignore[no-untyped-def]
    return next(
        r
        for r in results.rows
        if r.key == (net, backend, precision, batch)
        or (r.skipped and r.key[:3] == (net, backend, precision))
    )


@pytest.mark.parametrize("net", ["linear", "m31_k3"])
def test_openvino_fp32_matches_ort_and_really_runs_fp32(ov_results, net: str) -> None:  # type: ignore[no-untyped-def]
    _, results = ov_results
    ov, ort = _row(results, net, "openvino", "fp32"), _row(results, net, "ort", "fp32")
    assert not ov.skipped and ov.eval_images == ort.eval_images == 1000
    assert ov.accuracy == ort.accuracy and ov.agreement == 1.0
    assert ov.max_abs_diff is not None and ov.max_abs_diff < 1e-4
    n = 2 if net == "linear" else 6  # linear: two Dense layers
    assert ov.executed_precision == f"fp32 {n}/{n} conv+gemm"
    assert ov.timed_scope and "InferRequest.infer" in ov.timed_scope
    assert ov.cold_start_ms and ov.load_ms and ov.p50_ms and ov.images_per_s
    assert not [w for w in ov.warnings if not w.startswith("unstable timing")]


def test_openvino_int8_runs_int8_and_bf16_row_is_labelled(ov_results) -> None:  # type: ignore[no-untyped-def]
    from mnx.toolkit.runners.openvino import cpu_has_bf16

    root, results = ov_results
    int8 = _row(results, "m31_k3", "openvino", "int8", 4)
    assert int8.executed_precision == "int8 6/6 conv+gemm"
    assert (
        int8.model_file == "model.int8.u8.onnx" and int8.note and "model.int8.u8.onnx" in int8.note
    )
    assert (
        int8.accuracy is not None
        and abs(int8.accuracy - _row(results, "m31_k3", "ort", "int8").accuracy) < 0.01
    )
    bf16 = _row(results, "m31_k3", "openvino", "bf16")
    if cpu_has_bf16():
        assert (
            bf16.model_file == "model.fp32.onnx" and bf16.executed_precision == "bf16 6/6 conv+gemm"
        )
        assert bf16.agreement is not None and bf16.agreement > 0.95
    else:
        assert bf16.skipped_reason and "no bf16" in bf16.skipped_reason
    assert not any(r.backend == "ort" and r.precision == "bf16" for r in results.rows)
    caches = list((root / "m31_k3" / "openvino_cache").glob("*/source.json"))
    assert len(caches) == 2  # one folder per ONNX file used (fp32 for fp32 and bf16, int8.u8)

    assert "int8" in (int8.executed_precision or "")


def _mnx_without_openvino(*argv: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; sys.modules['openvino'] = None; "  # `import openvino` raises ImportError
        "from mnx.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )


def test_without_openvino_asking_for_it_gives_the_fix(bench_root: Path) -> None:
    done = _mnx_without_openvino(
        "--artifacts", str(bench_root), "bench", "linear", "--backend", "openvino"
    )
    assert done.returncode == 1, done.stderr
    assert "OpenVINO is not installed" in done.stderr and "pip install 'mnx[cpu]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_openvino_other_backends_still_run(bench_root: Path) -> None:
    # the default backends (none named): a missing OpenVINO is a skipped row, not an error
    done = _mnx_without_openvino(
        "--artifacts",
        str(bench_root),
        "bench",
        "linear",
        "--precision",
        "fp32",
        "--batch-sizes",
        "1",
        "--iterations",
        "3",
        "--limit",
        "50",
        "--no-save",
    )
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # the footer wraps at the console width
    assert "openvino fp32 (OpenVINO is not installed" in text and "Skipped:" in text
    assert "ort " in done.stdout
