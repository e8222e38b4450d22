"""`mnx bench / report / compare`: exit codes and one clear message per mistake, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mnx.bench.records import SCHEMA_VERSION
from mnx.cli import main
from support.results import make_results


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--backend", "kerass"], "Did you mean 'keras'"),
        (["--precision", "int4"], "Unknown precision 'int4'"),
        (["--batch-sizes", "0"], "Batch size 0 is out of range"),
        (["--batch-sizes", "1,70000"], "Batch size 70000 is out of range"),
        (["--batch-sizes", "1,x"], "not a whole number"),
        (["--duration", "0"], "Duration 0 s is out of range"),
        (["--duration", "inf"], "Duration inf s is out of range"),
        (["--duration", "nan"], "Duration nan s is out of range"),
        (["--iterations", "0"], "Iterations 0 is out of range"),
        (["--warmup", "infs"], "Warm-up time inf s is out of range"),
        (["--warmup", "-1"], "Warm-up count -1 is out of range"),
        (["--threads", "100000"], "Threads 100000 is out of range. Expected: a value from 1"),
        (["--threads", "0"], "Threads 0 is out of range"),
        (["--limit", "0"], "Evaluation limit 0 images is out of range"),
        (["--limit", "20000"], "from 1 to 10000 images"),
        (["--duration", "1", "--iterations", "5"], "both given"),
        (["--warmup", "abc"], "neither a count nor seconds"),
        (["--keras-mode", "predict"], "Unknown Keras mode 'predict'"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], needle: str
) -> None:
    code, _, err = run(capsys, "--artifacts", str(tmp_path), "bench", "linear", *args)
    assert code == 2
    assert needle in err and "Fix:" in err


def test_not_trained_names_the_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--artifacts", str(tmp_path), "bench", "m31_k3")
    assert code == 1
    assert "not trained" in err and "mnx train m31_k3" in err


def test_not_exported_names_the_command(
    capsys: pytest.CaptureFixture[str], trained_root: Path
) -> None:
    code, _, err = run(
        capsys,
        "--artifacts",
        str(trained_root),
        "bench",
        "linear",
        "--backend",
        "ort",
        "--precision",
        "fp16",
    )
    assert code == 1
    assert "mnx export linear --fp16" in err


def test_bench_then_report_end_to_end(capsys: pytest.CaptureFixture[str], bench_root: Path) -> None:
    code, out, _ = run(
        capsys,
        "--artifacts",
        str(bench_root),
        "bench",
        "linear",
        "--backend",
        "keras,ort",
        "--precision",
        "fp32",
        "--batch-sizes",
        "1,4",
        "--iterations",
        "5",
        "--warmup",
        "2",
        "--limit",
        "200",
        "--keras-mode",
        "function",
    )
    assert code == 0
    assert "linear" in out and "p50 ms" in out and "Saved" in out
    assert "tf.function" in out  # the footer says which Keras call was timed
    assert (bench_root / "bench" / "latest.json").is_file()
    code, out, _ = run(capsys, "--artifacts", str(bench_root), "report")
    assert code == 0 and "p50 ms" in out and "latency.png" in out


def test_report_refuses_incompatible_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = make_results().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    (tmp_path / "old.json").write_text(json.dumps(data))
    code, _, err = run(capsys, "report", str(tmp_path / "old.json"))
    assert code == 1 and "schema version" in err
    code, _, err = run(capsys, "--artifacts", str(tmp_path / "empty"), "report")
    assert code == 1 and "does not exist" in err


def test_compare_exit_status_is_a_ci_gate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    a, b, same = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "same.json"
    a.write_text(make_results(p50_ms=1.0).to_json())
    b.write_text(make_results(p50_ms=1.5).to_json())
    same.write_text(make_results(p50_ms=1.01).to_json())
    code, out, err = run(capsys, "compare", str(a), str(b))
    assert code == 1 and "REGRESSION" in out and "regressed" in err
    code, out, _ = run(capsys, "compare", str(a), str(same))
    assert code == 0 and "0 regression(s)" in out
    code, _, _ = run(capsys, "compare", str(a), str(b), "--threshold", "60")
    assert code == 0
    code, _, err = run(capsys, "compare", str(a), str(b), "--threshold", "0")
    assert code == 2


# --- a backend asked for by name must run; nothing is written when nothing ran (issue 11.10) --


def _no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import mnx.toolkit.gpu

    monkeypatch.setattr(mnx.toolkit.gpu, "gpu_info", lambda index=0: None)


@pytest.mark.parametrize("backend", ["trt", "ort-cuda"])
def test_named_gpu_backend_without_gpu_is_an_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    bench_root: Path,
    backend: str,
) -> None:
    import shutil

    _no_gpu(monkeypatch)
    root = tmp_path / "art"
    shutil.copytree(bench_root / "linear", root / "linear")
    code, _, err = run(capsys, "--artifacts", str(root), "bench", "linear", "--backend", backend)
    assert code == 1
    assert f"Backend '{backend}' cannot run on this machine: no CUDA GPU" in err
    assert "would not help" in err and err.count("\n") == 1  # one message
    assert not (root / "bench").exists()  # no results, no latest.json


def test_named_ort_without_onnxruntime_is_an_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bench_root: Path
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` fails
    code, _, err = run(
        capsys, "--artifacts", str(bench_root), "bench", "linear", "--backend", "ort"
    )
    assert code == 1
    assert "Backend 'ort' cannot run on this machine: ONNX Runtime is not installed" in err
    assert "pip install 'mnx[cpu]'" in err


def test_default_backends_skip_what_cannot_run_with_the_reason(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bench_root: Path
) -> None:
    _no_gpu(monkeypatch)
    code, out, _ = run(
        capsys,
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
        "--warmup",
        "0",
        "--limit",
        "100",
        "--no-save",
    )
    assert code == 0, out
    assert "no CUDA GPU" in out and "p50 ms" in out


def test_nothing_measured_writes_nothing(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    bench_root: Path,
) -> None:
    import shutil

    import mnx.bench.run
    from mnx.bench.variants import Skip, SkipKind

    root = tmp_path / "art"
    shutil.copytree(bench_root / "linear", root / "linear")
    refused = Skip(SkipKind.LOAD_FAILED, "model.fp32.onnx refused", "re-export it")
    monkeypatch.setattr(mnx.bench.run, "_cold_start", lambda *a: refused)
    code, _, err = run(
        capsys, "--artifacts", str(root), "bench", "linear", "--backend", "ort", "--precision",
        "fp32", "--iterations", "3",
    )  # fmt: skip
    assert code == 1
    assert "Nothing was measured: linear ort fp32: model.fp32.onnx refused" in err
    assert not (root / "bench").exists()


# --- compare ---------------------------------------------------------------------------------


def test_compare_with_no_matching_row_fails_and_names_the_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import dataclasses

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(make_results().to_json())
    other = make_results()
    rows = tuple(dataclasses.replace(r, network="m31_k3") for r in other.rows)
    b.write_text(dataclasses.replace(other, rows=rows).to_json())
    code, _, err = run(capsys, "compare", str(a), str(b))
    assert code == 1
    assert f"No row of the candidate '{b}' matches a measured row of the baseline '{a}'" in err
    same = tmp_path / "same.json"
    same.write_text(make_results(p50_ms=1.01).to_json())
    code, out, _ = run(capsys, "compare", str(a), str(same))
    assert code == 0
    assert f"Baseline  A: {a}\nCandidate B: {same}\n" in out


@pytest.mark.parametrize("args", [["--threshold", "inf"], ["--accuracy-drop", "nan"]])
def test_compare_thresholds_bounded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    a = tmp_path / "a.json"
    a.write_text(make_results().to_json())
    code, _, err = run(capsys, "compare", str(a), str(a), *args)
    assert code == 2 and "Bad thresholds" in err and "up to 1000 percent" in err


# --- pipeline: every option checked before training ------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--threads", "0"], "Threads 0 is out of range"),
        (["--duration", "0"], "Duration 0 s is out of range"),
        (["--backend", "tensorrt"], "Unknown backend 'tensorrt'"),
        (["--batch-sizes", "0"], "Batch size 0 is out of range"),
    ],
)
def test_pipeline_rejects_bad_options_before_training(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], needle: str
) -> None:
    root = tmp_path / "art"
    code, _, err = run(capsys, "--artifacts", str(root), "pipeline", "linear", "--quick", *args)
    assert code == 2 and needle in err
    assert not (root / "linear").exists()  # nothing was trained


# --- start-up: a usage error does not import TensorFlow (issue 12.9) --------------------------


def test_usage_error_does_not_import_tensorflow(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import sys; from mnx.cli import main; "
        "rc = main(['bench', 'linear', '--threads', '0']); "
        "print(rc, 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    env = {**os.environ, "MNX_ARTIFACTS": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.stdout.split() == ["2", "False", "False"], proc.stderr
    assert "Threads 0 is out of range" in proc.stderr


def test_bench_without_tensorflow_is_a_fix_it_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bench_root: Path
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` fails
    code, _, err = run(capsys, "--artifacts", str(bench_root), "bench", "linear")
    assert code == 1
    assert "TensorFlow cannot be imported" in err and "pip install" in err


def test_pipeline_named_backend_that_cannot_run_fails_before_training(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_gpu(monkeypatch)
    root = tmp_path / "art"
    code, _, err = run(
        capsys, "--artifacts", str(root), "pipeline", "linear", "--quick", "--backend", "ort,trt"
    )
    assert code == 1 and "Backend 'trt' cannot run on this machine: no CUDA GPU" in err
    assert not (root / "linear").exists()  # nothing was trained
