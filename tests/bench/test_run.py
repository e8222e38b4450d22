"""run_bench on a real trained + exported `linear`: rows, accuracy, skips, files, report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnx.bench.records import BenchResults


def _row(results: BenchResults, backend: str, precision: str, batch: int | None):  # type: ignore[no-untyped-def]
    return next(
        r
        for r in results.rows
        if (r.backend, r.precision, r.batch_size) == (backend, precision, batch)
    )


def test_rows_measured_for_keras_and_ort(linear_results: BenchResults) -> None:
    for backend in ("keras", "ort"):
        for b in (1, 8):
            r = _row(linear_results, backend, "fp32", b)
            assert r.skipped_reason is None
            assert r.iterations == 30 and r.warmup_iterations == 3
            assert 0 < r.min_ms <= r.p50_ms <= r.p99_ms <= r.max_ms
            assert r.images_per_s == pytest.approx(r.inferences_per_s * b)
            assert r.params == 7960 and r.model_bytes and r.model_bytes > 30_000
            assert r.flops_per_image == 2 * (784 * 10 + 10 * 10)  # Dense 784->10, Dense 10->10
            assert r.cold_start_ms == pytest.approx(r.load_ms + r.first_inference_ms)
            assert r.timed_scope
    assert _row(linear_results, "ort", "fp32", 1).providers == ("CPUExecutionProvider",)
    assert "predict_on_batch" in (_row(linear_results, "keras", "fp32", 1).timed_scope or "")
    # Keras runs FP32 only: no keras fp16 row at all
    assert not [r for r in linear_results.rows if r.backend == "keras" and r.precision == "fp16"]


def test_accuracy_equals_onnxruntime_and_agrees_with_keras(
    linear_results: BenchResults, bench_root: Path, subset_data
) -> None:  # type: ignore[no-untyped-def]
    import onnxruntime as ort

    from mnx import architectures
    from mnx.toolkit.data import preprocess

    net = architectures.get("linear")
    x = preprocess(subset_data.x_test, net.recipe.preprocessing, net.layout)
    sess = ort.InferenceSession(
        str(bench_root / "linear" / "model.fp32.onnx"), providers=["CPUExecutionProvider"]
    )
    expected = float((sess.run(None, {"input": x})[0].argmax(1) == subset_data.y_test).mean())
    r = _row(linear_results, "ort", "fp32", 1)
    assert r.eval_images == len(subset_data.y_test)
    assert r.accuracy == pytest.approx(expected, abs=1e-12)
    assert r.agreement == pytest.approx(1.0, abs=2e-3)  # FP32 ONNX vs Keras: ties at most
    assert r.max_abs_diff is not None and r.max_abs_diff < 1e-4
    k = _row(linear_results, "keras", "fp32", 8)
    assert k.agreement == 1.0 and k.accuracy == pytest.approx(expected, abs=2e-3)


def test_unavailable_combinations_skipped_with_reasons(linear_results: BenchResults) -> None:
    fp16 = _row(linear_results, "ort", "fp16", None)  # bench_root lacks linear's fp16 file
    assert "mnx export linear --fp16" in (fp16.skipped_reason or "")
    for precision in ("fp32", "fp16"):
        trt = _row(linear_results, "trt", precision, None)
        assert trt.skipped_reason and (
            "TensorRT" in trt.skipped_reason or "GPU" in trt.skipped_reason
        )
        cuda = _row(linear_results, "ort-cuda", precision, None)
        assert cuda.skipped_reason and cuda.p50_ms is None
    assert linear_results.provenance.cpu is not None
    assert "onnxruntime" in linear_results.provenance.versions


def test_save_writes_files_and_report_redraws(linear_results: BenchResults, tmp_path: Path) -> None:
    from mnx.bench.plots import draw_plots
    from mnx.bench.report import render_terminal, save

    saved = save(linear_results, tmp_path)
    for p in (saved.json, saved.csv, saved.markdown, saved.latest, *saved.plots):
        assert p.is_file() and p.stat().st_size > 0
    assert {p.suffix for p in saved.plots} == {".png"} and len(saved.plots) == 2
    assert saved.json.parent == tmp_path / "bench"
    assert BenchResults.load(saved.latest) == linear_results
    csv_lines = saved.csv.read_text().splitlines()
    assert csv_lines[0].startswith("network,backend,precision,batch_size")
    assert len(csv_lines) == 1 + len(linear_results.rows)
    md = saved.markdown.read_text()
    assert "# mnx bench results: linear" in md and "Skipped:" in md and "session.run" in md

    from rich.console import Console

    console = Console(record=True, width=200)
    render_terminal(BenchResults.load(saved.json), console)
    text = console.export_text()
    assert "p50 ms" in text and "keras" in text and "no CUDA GPU" in text
    redrawn = draw_plots(BenchResults.load(saved.json), tmp_path / "again")
    assert [p.name for p in redrawn] == ["again.latency.png", "again.pareto.png"]


def test_second_save_does_not_overwrite(linear_results: BenchResults, tmp_path: Path) -> None:
    from mnx.bench.report import save

    a = save(linear_results, tmp_path, plots=False)
    b = save(linear_results, tmp_path, plots=False)
    assert a.json != b.json and a.json.is_file() and b.json.is_file()


def test_keras_reference_cached_on_disk(
    linear_results: BenchResults, bench_root: Path, subset_data
) -> None:  # type: ignore[no-untyped-def]
    cached = list((bench_root / "linear" / "bench_cache").glob("keras_ref.*.npy"))
    refs = [np.load(p) for p in cached]  # one per evaluated image set (other tests use --limit)
    full = [r for r in refs if r.shape == (len(subset_data.y_test), 10)]
    assert len(full) == 1
    assert np.allclose(full[0].sum(axis=1), 1.0, atol=1e-5)


def test_stale_or_changed_export_is_refused(bench_root: Path, tmp_path: Path) -> None:
    import shutil

    from mnx.bench.variants import Request, SkipKind, resolve, stale_reason
    from mnx.toolkit.options import Backend, Precision

    net_dir = tmp_path / "linear"
    shutil.copytree(bench_root / "linear", net_dir)
    assert stale_reason(net_dir, "model.fp32.onnx") is None
    request = Request("linear", Backend.ORT, Precision.FP32, net_dir, threads=1)
    ok = resolve(request)
    assert ok is not None and ok.make_runner is not None
    with open(net_dir / "model.keras", "ab") as fh:  # "retrained": the source changed
        fh.write(b"\0")
    v = resolve(request)
    assert v is not None and v.make_runner is None
    assert v.skip is not None and v.skip.kind is SkipKind.STALE
    assert "model.keras is not the file mnx recorded" in (v.skipped_reason or "")
    assert "run `mnx train linear` then `mnx export linear`" in (v.skipped_reason or "")
