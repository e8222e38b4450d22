"""build_engines / engine_from_onnx against the TensorRT double (10.16 and 11.4 APIs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mnx.errors import (
    MissingArtifactError,
    MissingDependencyError,
    UnknownNameError,
    UsageError,
)
from mnx.toolkit.export.tensorrt import EngineOptions, build_engines, engine_staleness
from support.models import NAME, make_linear_onnx

FAST = {"calibration_images": 64, "calibration_batch": 16}


def _manifest(root: Path) -> dict:
    return json.loads((root / NAME / "manifest.json").read_text())["artifacts"]


def test_strongly_typed_builds_all_precisions_on_10_and_11(trt, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    records = build_engines(NAME, toy_root, EngineOptions())
    assert [r.precision for r in records] == ["fp32", "fp16", "int8"]
    slug = "nvidia-fake-gpu-sm89"
    for r in records:
        assert r.engine_path == (
            toy_root
            / NAME
            / "engines"
            / slug
            / f"trt-{trt.__version__}"
            / f"model.{r.precision}.engine"
        )
        assert r.engine_path.stat().st_size == r.engine_bytes > 0
        assert r.onnx_path.name == f"model.{r.precision}.onnx" and not r.reused
        rec = _manifest(toy_root)[r.engine_path.relative_to(toy_root / NAME).as_posix()]
        assert rec["tensorrt"]["gpu_name"] == "NVIDIA Fake GPU"
        assert rec["tensorrt"]["compute_capability"] == "8.9"
        assert rec["tensorrt"]["tensorrt_version"] == trt.__version__
        assert rec["source"]["file"] == f"model.{r.precision}.onnx"
        assert rec["options"]["max_batch"] == 256
    assert trt._stats.builds == 3
    assert trt._stats.errors == []


def test_builder_flags_route_on_tensorrt_10_calibrates_and_caches(trt10, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    opts = EngineOptions(route="builder-flags", **FAST)
    records = build_engines(NAME, toy_root, opts)
    assert [r.engine_path.name for r in records] == [
        "model.fp32.builder-flags.engine",
        "model.fp16.builder-flags.engine",
        "model.int8.builder-flags.engine",
    ]
    assert {r.onnx_path.name for r in records} == {"model.fp32.onnx"}
    assert trt10._stats.calibration_batches == 64 // 16  # every batch fed through get_batch
    caches = list(records[0].engine_path.parent.glob("calibration.entropy.*.cache"))
    assert len(caches) == 1 and caches[0].read_bytes().startswith(b"TRT-")
    # a rebuild reads the calibration cache instead of calibrating again
    build_engines(
        NAME,
        toy_root,
        EngineOptions(route="builder-flags", precisions=("int8",), rebuild=True, **FAST),
    )
    assert trt10._stats.calibration_cache_reads == 1
    assert trt10._stats.calibration_batches == 4


def test_builder_flags_route_on_tensorrt_11_is_a_clear_error(trt11, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    for precision in ("fp16", "int8"):
        with pytest.raises(UsageError) as err:
            build_engines(
                NAME, toy_root, EngineOptions(route="builder-flags", precisions=("fp32", precision))
            )
        assert "TensorRT 11" in str(err.value) and "strongly-typed" in str(err.value)
    assert not (toy_root / NAME / "engines").exists()  # checked before building anything


def test_current_engines_are_reused_and_stale_ones_rebuilt(trt, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    opts = EngineOptions(precisions=("fp32",))
    first = build_engines(NAME, toy_root, opts)[0]
    again = build_engines(NAME, toy_root, opts)[0]
    assert again.reused and again.build_s is None and trt._stats.builds == 1

    # the ONNX model changed (re-exported): rebuilt, with the reason
    make_linear_onnx(toy_root / NAME / "model.fp32.onnx", seed=7)
    rebuilt = build_engines(NAME, toy_root, opts)[0]
    assert not rebuilt.reused and "model.fp32.onnx" in (rebuilt.rebuilt_because or "")

    # the record says another GPU / TensorRT built it: rebuilt, never silently used
    key = first.engine_path.relative_to(toy_root / NAME).as_posix()
    for field, value in (("gpu_name", "Tesla T4"), ("tensorrt_version", "10.0.0")):
        manifest = json.loads((toy_root / NAME / "manifest.json").read_text())
        manifest["artifacts"][key]["tensorrt"][field] = value
        (toy_root / NAME / "manifest.json").write_text(json.dumps(manifest))
        record = build_engines(NAME, toy_root, opts)[0]
        assert not record.reused and value in (record.rebuilt_because or "")
    # other build options: rebuilt
    assert not build_engines(NAME, toy_root, EngineOptions(precisions=("fp32",), max_batch=64))[
        0
    ].reused


def test_another_gpu_gets_its_own_engine_directory(monkeypatch, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    from support.fakes import tensorrt as fake_trt
    from support.fakes.cuda_bindings import FakeCuda

    paths = []
    for gpu, cc in (("NVIDIA H100 80GB HBM3", (9, 0)), ("NVIDIA GeForce RTX 4090", (8, 9))):
        fake_trt.install(monkeypatch, fake_trt.V11, FakeCuda(gpu_name=gpu, compute_capability=cc))
        paths.append(build_engines(NAME, toy_root, EngineOptions(precisions=("fp32",)))[0])
    assert paths[0].engine_path.parts[-3] == "nvidia-h100-80gb-hbm3-sm90"
    assert paths[1].engine_path.parts[-3] == "nvidia-geforce-rtx-4090-sm89"
    assert not paths[1].reused


def test_timing_cache_is_written_and_reused(trt, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    record = build_engines(NAME, toy_root, EngineOptions(precisions=("fp32",)))[0]
    cache = (
        toy_root / "tensorrt" / "nvidia-fake-gpu-sm89" / f"trt-{trt.__version__}" / "timing.cache"
    )
    assert record.timing_cache_path == cache and cache.stat().st_size > 0
    assert trt._stats.timing_cache_hits == 0
    misses = trt._stats.timing_cache_misses
    build_engines(NAME, toy_root, EngineOptions(precisions=("fp32",), rebuild=True))
    assert trt._stats.timing_cache_hits == misses  # every layer found in the saved cache
    assert trt._stats.timing_cache_misses == misses
    # no timing cache: nothing written, nothing reused
    cache.unlink()
    build_engines(
        NAME, toy_root, EngineOptions(precisions=("fp32",), rebuild=True, use_timing_cache=False)
    )
    assert not cache.exists()


def test_missing_onnx_bad_onnx_and_bad_options(trt, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    (toy_root / NAME / "model.fp16.onnx").unlink()
    with pytest.raises(MissingArtifactError, match="mnx export linear --fp16"):
        build_engines(NAME, toy_root, EngineOptions(precisions=("fp16",)))
    with pytest.raises(UsageError, match="min_batch <= opt_batch"):
        EngineOptions(min_batch=8, opt_batch=4)
    with pytest.raises(UnknownNameError, match="Did you mean 'fp16'"):
        EngineOptions(precisions=("fp61",))
    with pytest.raises(UnknownNameError, match="strongly-typed"):
        EngineOptions(route="strongly_typed")  # type: ignore[arg-type]


def test_one_failing_build_never_stops_the_others(trt, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    """A file TensorRT rejects gives a failed record with TensorRT's own error text (and a note
    the benchmark reads); the other precisions are still built, and a later good build clears
    the note."""
    from mnx.toolkit.export.tensorrt import failure_note

    fp16 = toy_root / NAME / "model.fp16.onnx"
    good = fp16.read_bytes()
    fp16.write_bytes(b"not an onnx model")
    records = build_engines(NAME, toy_root, EngineOptions())
    by = {r.precision: r for r in records}
    assert [r.precision for r in records] == ["fp32", "fp16", "int8"]
    assert by["fp32"].ok and by["int8"].ok and by["int8"].engine_path.exists()
    assert not by["fp16"].ok and not by["fp16"].engine_path.exists()
    assert "could not parse 'model.fp16.onnx'" in (by["fp16"].error or "")
    assert "Failed to parse ONNX model" in (by["fp16"].error or "")  # TensorRT's parser text
    assert "FAILED" in str(by["fp16"])
    note = failure_note(by["fp16"].engine_path)
    from mnx.toolkit.gpu import require_gpu

    why = engine_staleness(by["fp16"].engine_path, require_gpu(), trt.__version__) or ""
    assert why.startswith("its last build failed") and "could not parse" in why
    from mnx.bench.variants import Request, resolve
    from mnx.toolkit.options import Backend, Precision

    skipped = resolve(Request(NAME, Backend.TRT, Precision.FP16, toy_root / NAME))
    assert skipped is not None and "its last build failed" in (skipped.skipped_reason or "")
    assert "Failed to parse ONNX model" in (skipped.skipped_reason or "")  # the bench row says why
    built = resolve(Request(NAME, Backend.TRT, Precision.INT8, toy_root / NAME))
    assert built is not None and built.skipped_reason is None  # the others are benched
    fp16.write_bytes(good)
    again = build_engines(NAME, toy_root, EngineOptions(precisions=("fp16",)))
    assert again[0].ok and again[0].rebuilt_because is None and not note.exists()


def test_a_build_failure_carries_what_the_builder_logged(trt, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    """build_serialized_network returning None: the record says what TensorRT logged."""
    real = trt.Builder.build_serialized_network

    def failing(self, network, config):  # type: ignore[no-untyped-def]
        self._logger.log(trt.ILogger.ERROR, "Internal Error: out of tactic memory")
        return None

    trt.Builder.build_serialized_network = failing
    try:
        rec = build_engines(NAME, toy_root, EngineOptions(precisions=("fp32",)))[0]
    finally:
        trt.Builder.build_serialized_network = real
    assert rec.error is not None and "out of tactic memory" in rec.error


def test_no_tensorrt_or_no_gpu_is_a_missing_dependency(monkeypatch, toy_root: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # import tensorrt -> ImportError
    with pytest.raises(MissingDependencyError, match=r"mnx\[gpu-cu13\]"):
        build_engines(NAME, toy_root)

    from support.fakes import tensorrt as fake_trt
    from support.fakes.cuda_bindings import FakeCuda

    fake_trt.install(monkeypatch, fake_trt.V10, FakeCuda(devices=0))
    monkeypatch.setattr("mnx.toolkit.gpu.shutil.which", lambda _: None)  # and no nvidia-smi
    with pytest.raises(MissingDependencyError, match="No NVIDIA GPU"):
        build_engines(NAME, toy_root)


def test_export_options_pick_the_engine_precisions() -> None:
    """ExportOptions holds one typed EngineOptions; its fp16/int8 flags pick the precisions."""
    from mnx.toolkit.export.pipeline import ExportOptions

    opts = ExportOptions(fp16=True, engine=EngineOptions(max_batch=64))
    assert opts.engine_precisions() == ("fp32", "fp16")
    assert ExportOptions(int8=True).engine_precisions() == ("fp32", "int8")
    assert opts.engine.max_batch == 64


def test_engine_staleness_without_record(trt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mnx.toolkit.gpu import require_gpu

    stray = tmp_path / "model.fp32.engine"
    stray.write_bytes(b"x")
    assert "no record" in (engine_staleness(stray, require_gpu(), trt.__version__) or "")
