"""`mnx train` / `mnx show`: each user mistake is one clear message, exit 2 (usage) or 1, no
traceback; and the happy paths print what they promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnx.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    ("argv", "code", "needles"),
    [
        (["train", "cnn_9"], 2, ["Unknown architecture 'cnn_9'", "cnn9", "mnx list"]),
        (["train", "linear", "--epochs", "0"], 2, ["--epochs", "Expected: 1 to 1000"]),
        (["train", "linear", "--epochs", "-3"], 2, ["--epochs", "out of range"]),
        (["train", "linear", "--epochs", "5000"], 2, ["--epochs", "Fix:"]),
        (["train", "linear", "--epochs", "ten"], 2, ["--epochs", "not a valid integer"]),
        (["train", "linear", "--batch-size", "0"], 2, ["--batch-size", "from 1 to 60000"]),
        (["train", "linear", "--batch-size", "60001"], 2, ["--batch-size", "out of range"]),
        (["reproduce", "003", "--epochs", "0"], 2, ["--epochs", "Expected: 1 to 1000"]),
        (["reproduce", "003", "--limit", "0"], 2, ["--limit", "Expected: 1 to 60000"]),
        (["train", "linear", "--limit", "0"], 2, ["--limit", "at least 1"]),
        (["train", "linear", "--limit", "60001"], 2, ["5,000 training images", "--limit 5000"]),
        (["train", "linear", "--keras-backend", "theano"], 2, ["--keras-backend", "theano"]),
        (["show", "m31_k3"], 1, ["not been trained", "mnx train m31_k3"]),
        (["show", "m31_k"], 2, ["Unknown architecture", "m31_k3"]),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], code: int, needles: list[str]
) -> None:
    got, out = run(capsys, *argv)
    assert got == code, out
    for needle in needles:
        assert needle in out
    assert "Traceback" not in out


def test_missing_backend_package(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    missing = [b for b in ("jax", "torch") if importlib.util.find_spec(b) is None]
    if not missing:
        pytest.skip("jax and torch are both installed")
    code, out = run(capsys, "train", "linear", "--keras-backend", missing[0])
    assert code == 1 and f"pip install {missing[0]}" in out and "Traceback" not in out


@pytest.mark.parametrize(
    "argv", [["train", "linear", "--epochs", "1"], ["show", "linear"], ["export", "linear"]]
)
def test_tensorflow_not_importable_is_a_fix_it_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    import sys

    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` raises ImportError
    code, out = run(capsys, *argv)
    assert code == 1, out
    assert "TensorFlow cannot be imported" in out and "pip install 'tensorflow" in out
    assert out.startswith("Error: ") and out.count("\n") == 1  # one message


def test_unwritable_artifacts_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")  # works even as root, unlike chmod
    code, out = run(capsys, "--artifacts", str(blocker / "art"), "train", "linear", "--epochs", "1")
    assert code == 1
    assert "is a file, so the artifacts directory" in out and "--artifacts" in out


def test_corrupt_model(capsys: pytest.CaptureFixture[str], copy_trained: Path) -> None:
    (copy_trained / "m31_k3" / "model.keras").write_bytes(b"PK\x03\x04 not really a zip")
    code, out = run(capsys, "--artifacts", str(copy_trained), "show", "m31_k3")
    assert code == 1
    assert "cannot be loaded as a Keras model" in out and "mnx train m31_k3" in out
    assert "Traceback" not in out


def test_train_then_show(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = str(tmp_path / "art")
    code, out = run(
        capsys,
        "--artifacts",
        root,
        "train",
        "linear",
        "--epochs",
        "1",
        "--limit",
        "1000",
        "--seed",
        "3",
    )
    assert code == 0, out
    assert "test accuracy" in out and "seed notebook: 91.59%" in out  # accuracy in %
    assert "partial" in out and "1 of 17 epochs, 1,000 training images" in out
    assert "model.keras" in out
    code, out = run(capsys, "--artifacts", root, "show", "linear", "--summary", "--confusion")
    assert code == 0, out
    assert "Total params" in out and "per class" in out
    views = Path(root) / "linear" / "views"
    assert sorted(p.name for p in views.iterdir()) == [
        "confusion.json",
        "confusion.png",
        "summary.txt",
    ]


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "MNX_ARTIFACTS": str(tmp_path)}
    for argv, code in ((["train", "cnn_9"], 2), (["show", "linear"], 1)):
        proc = subprocess.run(
            [sys.executable, "-m", "mnx", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == code, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        assert proc.stderr.startswith("Error: ")
