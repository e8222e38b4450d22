"""`mnx export`: the table on success; each mistake is one message with its exit code, no
traceback, and options are checked before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from mnx.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out + out.err


def test_cli_exports_and_prints_table(
    copy_trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _cli(
        capsys,
        "--artifacts",
        str(copy_trained),
        "export",
        "linear",
        "--int8",
        "--calibration-samples",
        "100",
        "--no-trt",
    )
    assert code == 0
    assert "int8.u8" in text and "agreement" in text and "7,960" in text


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["export", "linear", "--opset", "9"], 2, "opset from 13 to 18"),
        (["export", "linear", "--calibration-method", "entropie"], 2, "Did you mean 'entropy'"),
        (["export", "linear", "--calibration-samples", "0"], 2, "1 to 60000"),
        (["export", "linear", "--calibration-samples", "60001"], 2, "1 to 60000"),
        (["export", "linear"], 1, "mnx train linear"),
        (["export", "no_such_net"], 2, "Unknown architecture"),
    ],
)
def test_cli_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, needle: str
) -> None:
    got, text = _cli(capsys, "--artifacts", str(tmp_path), *args)
    assert got == code and needle in text


def test_cli_corrupt_keras(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "linear").mkdir()
    (tmp_path / "linear" / "model.keras").write_bytes(b"not a zip file")
    got, text = _cli(capsys, "--artifacts", str(tmp_path), "export", "linear")
    assert got == 1 and "cannot be loaded as a Keras model" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--calibration-seed", "-5"], "-5 is out of range. Expected: 0 to 4294967295"),
        (["--max-batch", "100000"], "100000 is out of range. Expected: 1 to 65536"),
        (["--min-batch", "0"], "--min-batch"),
        (["--workspace-mib", "0"], "--workspace-mib"),
    ],
)
def test_cli_bounds_checked_before_any_work(
    copy_trained: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    got, text = _cli(capsys, "--artifacts", str(copy_trained), "export", "linear", *args)
    assert got == 2 and needle in text
    assert not (copy_trained / "linear" / "model.fp32.onnx").exists()  # nothing exported


def test_cli_trt_without_gpu_fails_before_export(
    copy_trained: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mnx.toolkit.gpu

    monkeypatch.setattr(mnx.toolkit.gpu, "gpu_info", lambda index=0: None)
    got, text = _cli(capsys, "--artifacts", str(copy_trained), "export", "linear", "--trt")
    assert got == 1
    assert "--trt was given, but this machine has no NVIDIA GPU" in text
    assert "installing TensorRT here would not help" in text
    assert not (copy_trained / "linear" / "model.fp32.onnx").exists()  # no minutes of work first


def test_cli_trt_without_tensorrt_fails_before_export(
    copy_trained: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import mnx.toolkit.gpu
    from mnx.toolkit.gpu import GpuInfo

    gpu = GpuInfo("Test GPU", "9.0", "12.4", 1024, 0, "nvidia-smi")
    monkeypatch.setattr(mnx.toolkit.gpu, "gpu_info", lambda index=0: gpu)
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    got, text = _cli(capsys, "--artifacts", str(copy_trained), "export", "linear", "--trt")
    assert got == 1 and "--trt was given, but tensorrt's python bindings" in text.lower()
    assert "or drop --trt" in text
    assert not (copy_trained / "linear" / "model.fp32.onnx").exists()
