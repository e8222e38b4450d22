"""Trust cases of the CLI and the store: each bad input is one message (what, expected, fix),
exit 1 (2 for usage), no traceback; nothing unverified is kept under a final name."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mnx.cli import main
from support.paths import SUBSET


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return code, text


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Networks registered by a test's --arch-file vanish with the test."""
    from mnx.architectures import registry as reg

    reg.all_networks()
    monkeypatch.setattr(reg, "_REGISTRY", dict(reg._REGISTRY))


NET = """
import keras
from mnx.architectures.recipe import InputLayout, Recipe
from mnx.architectures.registry import Family, register

@register("{name}", seed="user", section="t", family=Family.LINEAR, layout=InputLayout.FLAT,
          recipe=Recipe(optimizer="{optimizer}", learning_rate=0.1, epochs=1, batch_size=64))
def net():
    {body}
"""
MODEL = (
    "return keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation='softmax')])"
)


def _arch(tmp_path: Path, name: str = "tiny", optimizer: str = "SGD", body: str = MODEL) -> str:
    path = tmp_path / f"{name.replace('/', '_').replace('.', '_')}_net.py"
    path.write_text(NET.format(name=name, optimizer=optimizer, body=body))
    return str(path)


@pytest.mark.parametrize(
    ("content", "suffix", "needles"),
    [
        ("def broken(:\n", ".py", ["failed to load", "SyntaxError", "line 1"]),
        ("import no_such_module_mnx\n", ".py", ["failed to load", "ModuleNotFoundError"]),
        ("x = 1\n", ".txt", ["is not a Python file", ".py"]),
    ],
)
def test_bad_arch_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    registry: None,
    content: str,
    suffix: str,
    needles: list[str],
) -> None:
    f = tmp_path / f"nets{suffix}"
    f.write_text(content)
    code, text = run(capsys, "--arch-file", str(f), "list")
    assert code == 2
    assert all(n in text for n in needles), text


@pytest.mark.parametrize(
    ("name", "needle"), [("../x", "not a plain file name"), ("bench", "reserved")]
)
def test_bad_network_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, registry: None, name: str, needle: str
) -> None:
    code, text = run(capsys, "--arch-file", _arch(tmp_path, name=name), "list")
    assert code == 2 and needle in text and "@register" in text


@pytest.mark.parametrize(
    ("kwargs", "needles"),
    [
        ({"body": "return 42"}, ["returned int, not a Keras model"]),
        ({"optimizer": "Adamm"}, ["Unknown optimizer 'Adamm'", "keras.optimizers"]),
    ],
)
def test_bad_builder_or_recipe(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    registry: None,
    kwargs: dict[str, str],
    needles: list[str],
) -> None:
    arch = _arch(tmp_path, **kwargs)
    code, text = run(capsys, "--arch-file", arch, "train", "tiny", "--epochs", "1")
    assert code == 2 and all(n in text for n in needles), text
    assert not (tmp_path / "artifacts" / "tiny" / "model.keras").exists()


def test_data_path_to_another_kind_of_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    onnx = tmp_path / "some.onnx"
    onnx.write_bytes(b"\x08\x07\x12\x07tf2onnx" * 10)
    code, text = run(capsys, "data", "--path", str(onnx), "--no-fetch")
    assert code == 1 and "is not a zip archive" in text
    assert "pickled" not in text and "delete" not in text and onnx.exists()


def test_cache_holding_a_subset_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnx.errors import DataError
    from mnx.toolkit.data import load_mnist

    monkeypatch.delenv("MNX_MNIST")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras"))
    cache = tmp_path / "data-cache" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    shutil.copy(SUBSET, cache)
    with pytest.raises(DataError, match="holds a subset MNIST set, not the full one"):
        load_mnist(fetch=False)


def test_samples_path_under_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    code, text = run(capsys, "data", "--no-fetch", "--samples", str(tmp_path / "plain" / "d.png"))
    assert code == 1 and "'" + str(tmp_path / "plain") + "' is a file" in text
    assert "artifacts" not in text


def test_artifacts_under_a_file_is_not_reported_as_untrained(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "plain").write_text("x")
    code, text = run(capsys, "--artifacts", str(tmp_path / "plain" / "a"), "export", "linear")
    assert code == 1 and "is a file, so the artifacts directory" in text
    assert "train" not in text


@pytest.mark.parametrize("command", ["export", "show"])
def test_corrupt_model_keras(
    capsys: pytest.CaptureFixture[str], copy_trained: Path, command: str
) -> None:
    (copy_trained / "linear" / "model.keras").write_bytes(b"PK\x03\x04 half a zip")
    code, text = run(capsys, "--artifacts", str(copy_trained), command, "linear")
    assert code == 1 and "cannot be loaded as a Keras model" in text, text
    assert "not found" not in text.lower() and "mnx train linear" in text


def test_model_copied_from_another_network_is_refused(
    capsys: pytest.CaptureFixture[str], copy_trained: Path
) -> None:
    shutil.copy(copy_trained / "m31_k3" / "model.keras", copy_trained / "linear" / "model.keras")
    for command in ("export", "show"):
        code, text = run(capsys, "--artifacts", str(copy_trained), command, "linear")
        assert code == 1 and "model.keras is not the file mnx recorded" in text, text
        assert "run `mnx train linear`" in text


def test_export_without_onnxruntime(
    capsys: pytest.CaptureFixture[str], copy_trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "onnxruntime" else real(n, *a)
    )
    code, text = run(capsys, "--artifacts", str(copy_trained), "export", "linear")
    assert (
        code == 1 and "onnxruntime is not installed" in text and "pip install onnxruntime" in text
    )
    assert not (copy_trained / "linear" / "model.fp32.onnx").exists()


def test_file_failing_parity_never_gets_its_final_name(
    copy_trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mnx.bench.variants import Request, resolve
    from mnx.errors import ExportError
    from mnx.toolkit.export import parity
    from mnx.toolkit.export.pipeline import ExportOptions, export
    from mnx.toolkit.options import Backend, Precision

    real = parity.enforce

    def fp16_overflows(variant: str, p: parity.Parity, atol: float = parity.FP32_ATOL) -> list[str]:
        if variant == "fp16":
            raise ExportError("FP16 ONNX differs from Keras (injected)")
        return real(variant, p, atol)

    monkeypatch.setattr(parity, "enforce", fp16_overflows)
    with pytest.raises(ExportError, match="injected"):
        export("linear", ExportOptions(fp16=True, trt=False), copy_trained)
    net_dir = copy_trained / "linear"
    assert (net_dir / "model.fp32.onnx").is_file()
    assert not (net_dir / "model.fp16.onnx").exists()
    assert not [p for p in net_dir.iterdir() if ".tmp" in p.name]
    v = resolve(Request("linear", Backend.ORT, Precision.FP16, net_dir, threads=1))
    assert (
        v is not None
        and v.make_runner is None
        and "mnx export linear --fp16" in str(v.skipped_reason)
    )


def test_edited_keras_reference_cache_is_recomputed(copy_trained: Path, subset_data) -> None:  # type: ignore[no-untyped-def]
    from mnx.bench.accuracy import keras_reference
    from mnx.toolkit import reference
    from mnx.toolkit.export.pipeline import ExportOptions, export

    reference._MEMORY.clear()  # other tests of this process computed it already
    export("linear", ExportOptions(trt=False), copy_trained)
    net_dir = copy_trained / "linear"
    (cached,) = (net_dir / "bench_cache").glob("keras_ref.*.npy")
    good = np.load(cached)
    np.save(cached, np.zeros_like(good))  # edited: Keras would "agree" with garbage
    reference._MEMORY.clear()
    from mnx.architectures import get
    from mnx.toolkit.data import preprocess

    net = get("linear")
    x = preprocess(subset_data.x_test, net.recipe.preprocessing, net.layout)
    got = keras_reference(net_dir / "model.keras", x, subset_data.sha256, net_dir / "bench_cache")
    assert np.allclose(got, good, atol=1e-6)
    assert np.allclose(np.load(cached), good, atol=1e-6)  # and the cache is repaired
