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
        (["--duration", "0"], "is not positive"),
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
