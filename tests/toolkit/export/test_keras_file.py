"""`mnx export path/to/model.keras`: a Keras file saved elsewhere exports with parity checks and
records, keyed by its sha256; mistakes give one message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mnx.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def mnist_model(path: Path, seed: int = 0) -> Path:
    """A model trained elsewhere: channels-first 1x28x28 input, softmax over 10 classes."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((1, 28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.save(path)
    return path


def rec_sha(manifest: dict[str, dict[str, object]]) -> object:
    return manifest["model.fp32.onnx"]["sha256"]


def test_keras_file_exports_with_parity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from mnx.toolkit.artifacts import load_manifest, sha256_file

    model = mnist_model(tmp_path / "their_net.keras")
    root = tmp_path / "art"
    code, out, err = run(capsys, "--artifacts", str(root), "export", str(model), "--fp16", "--int8")
    assert code == 0, err
    net_dir = root / "their_net"
    manifest = load_manifest(net_dir)["artifacts"]
    for variant in ("fp32", "fp16", "int8", "int8.u8"):
        rec = manifest[f"model.{variant}.onnx"]
        assert rec["export"]["parity"]["images"] == 1000
        assert rec["export"]["parity"]["accuracy"] is not None
    assert manifest["model.fp32.onnx"]["export"]["parity"]["max_abs_diff"] <= 1e-4
    assert manifest["model.fp32.onnx"]["source"]["sha256"] == sha256_file(model)
    # The store's chain: fp32 <- source.keras (the user's bytes) <- source.json, written last.
    sha = sha256_file(model)
    assert manifest["model.fp32.onnx"]["inputs"] == {"source.keras": sha}
    assert manifest["source.keras"]["sha256"] == sha
    assert manifest["source.json"]["inputs"] == {"source.keras": sha}
    assert manifest["model.int8.onnx"]["inputs"] == {"model.fp32.onnx": rec_sha(manifest)}
    source = json.loads((net_dir / "source.json").read_text())
    assert source["sha256"] == sha256_file(model) and source["path"] == str(model.resolve())
    assert not list(net_dir.glob(".*building"))

    code, out, _ = run(capsys, "--artifacts", str(root), "export", str(model), "--fp16")
    assert code == 0 and out.count("current") == 2

    mnist_model(model, seed=1)  # the user retrained it: a new model, every file rebuilt
    code, out, _ = run(capsys, "--artifacts", str(root), "export", str(model))
    assert code == 0 and "exported" in out and "current" not in out
    assert load_manifest(net_dir)["artifacts"]["model.fp32.onnx"]["source"]["sha256"] == (
        sha256_file(model)
    )


def test_non_mnist_keras_file_needs_data_for_int8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import keras

    model = keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3), keras.layers.Flatten()]
    )
    path = tmp_path / "cifar_like.keras"
    model.save(path)
    root = tmp_path / "art"
    code, _, err = run(capsys, "--artifacts", str(root), "export", str(path), "--int8")
    assert code == 2 and "INT8 needs calibration data" in err and "--data" in err
    assert len(err.strip().splitlines()) == 1

    x = np.random.default_rng(0).random((64, 32, 32, 3)).astype(np.float32)
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros(64, np.int64))
    args = ("export", str(path), "--int8", "--data", str(tmp_path / "d.npz"))
    code, out, err = run(capsys, "--artifacts", str(root), *args)
    assert code == 0, err
    assert (root / "cifar_like" / "model.int8.u8.onnx").is_file()


@pytest.mark.parametrize(
    ("content", "name", "needle", "code"),
    [
        (b"not a zip", "broken.keras", "cannot be loaded as a Keras model", 1),
        (None, "missing.keras", "does not exist", 1),
        (b"x", "model.onnx", "is already ONNX", 2),
        (b"x", "linear.keras", "the registered network 'linear'", 2),
    ],
)
def test_keras_file_mistakes(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: bytes | None,
    name: str,
    needle: str,
    code: int,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    got, _, err = run(capsys, "--artifacts", str(tmp_path / "art"), "export", str(path))
    assert got == code and needle in err and len(err.strip().splitlines()) == 1


def test_exported_keras_file_benches_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """After `mnx export their_net.keras`, `mnx bench their_net` and `bench --all` find its ONNX
    files, with the accuracy its parity check measured."""
    from mnx.bench.records import BenchResults
    from mnx.toolkit.artifacts import load_manifest

    model = mnist_model(tmp_path / "their_net.keras")
    root = tmp_path / "art"
    assert run(capsys, "--artifacts", str(root), "export", str(model), "--fp16")[0] == 0
    fast = ("--backend", "ort", "--batch-sizes", "1", "--iterations", "3")
    code, _, err = run(capsys, "--artifacts", str(root), "bench", "--all", *fast)
    assert code == 0, err
    rows = BenchResults.load(root / "bench" / "latest.json").measured()
    assert sorted((r.network, r.precision) for r in rows) == [
        ("their_net", "fp16"),
        ("their_net", "fp32"),
    ]
    parity = load_manifest(root / "their_net")["artifacts"]["model.fp32.onnx"]["export"]["parity"]
    fp32 = next(r for r in rows if r.precision == "fp32")
    assert fp32.accuracy == pytest.approx(parity["accuracy"])


def test_edited_export_is_refused_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = mnist_model(tmp_path / "their_net.keras")
    root = tmp_path / "art"
    assert run(capsys, "--artifacts", str(root), "export", str(model))[0] == 0
    onnx_file = root / "their_net" / "model.fp32.onnx"
    onnx_file.write_bytes(onnx_file.read_bytes() + b"\0")
    code, _, err = run(capsys, "--artifacts", str(root), "bench", "their_net", "--backend", "ort")
    assert code == 1 and "is not the file mnx recorded" in err and f"mnx export {model}" in err


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--data", "x.npz"], "apply to .keras files, and a network name was given"),
        (["--preprocess", "normalize"], "apply to .keras files"),
        (["--preprocess", "/256"], "Unknown preprocessing '/256'"),
    ],
)
def test_file_options_with_a_network_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], needle: str
) -> None:
    """Checked before Keras or any export work: one message, exit 2."""
    code, _, err = run(capsys, "--artifacts", str(tmp_path), "export", "linear", *extra)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
