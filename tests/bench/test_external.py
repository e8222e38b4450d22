"""`mnx bench path/to/model.onnx`: a foreign ONNX file is benched as it is, with accuracy from MNIST
or --data when it can be labelled and "no labelled data" otherwise; mistakes give one message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mnx.bench.records import BenchResults
from mnx.cli import main
from support.paths import SUBSET


def _save(graph: object, path: Path) -> Path:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _weights() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return (rng.standard_normal((784, 10)) * 0.05).astype(np.float32), (
        rng.standard_normal(10) * 0.1
    ).astype(np.float32)


def gemm_model(path: Path) -> Path:
    """A Gemm 784 -> 10 with fixed weights, named unlike mnx's exports ("pixels" -> "logits")."""
    from onnx import TensorProto, helper, numpy_helper

    w, b = _weights()
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["pixels", "W", "B"], ["logits"])],
        "foreign_gemm",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 784])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
    )
    return _save(graph, path)


def conv_model(path: Path) -> Path:
    """A 3x32x32 image model: not MNIST, so nothing labels it."""
    from onnx import TensorProto, helper, numpy_helper

    k = np.random.default_rng(1).standard_normal((4, 3, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "K"], ["features"])],
        "foreign_conv",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 4, 30, 30])],
        [numpy_helper.from_array(k, "K")],
    )
    return _save(graph, path)


def two_input_model(path: Path) -> Path:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"])],
        "two_inputs",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", "seq"]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", "seq"]),
        ],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N", "seq"])],
    )
    return _save(graph, path)


def numpy_accuracy() -> float:
    """The Gemm's accuracy on the committed subset, computed without ONNX Runtime."""
    w, b = _weights()
    with np.load(SUBSET) as f:
        x, y = f["x_test"], f["y_test"]
    logits = (x.reshape(len(x), 784).astype(np.float32) / 255.0) @ w + b
    return float((logits.argmax(1) == y).mean())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


FAST = ("--backend", "ort", "--batch-sizes", "1,4", "--iterations", "5", "--warmup", "1")


def test_foreign_mnist_gemm_scores_like_numpy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = gemm_model(tmp_path / "gemm.onnx")
    root = tmp_path / "art"
    code, out, _ = run(capsys, "--artifacts", str(root), "bench", str(model), *FAST)
    assert code == 0, out
    results = BenchResults.load(root / "bench" / "latest.json")
    rows = results.measured()
    assert [(r.network, r.backend, r.batch_size) for r in rows] == [
        ("gemm", "ort", 1),
        ("gemm", "ort", 4),
    ]
    from mnx.toolkit.artifacts import sha256_file

    expected = numpy_accuracy()
    for r in rows:
        assert r.accuracy == pytest.approx(expected, abs=1e-9)
        assert r.eval_images == 1000
        assert r.source_sha256 == sha256_file(model)
        assert r.params == 7850 and r.flops_per_image == 2 * 784 * 10
    assert f" {expected * 100:.2f} " in out  # the table's "acc %" column


def test_data_npz_labels_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = gemm_model(tmp_path / "gemm.onnx")
    with np.load(SUBSET) as f:
        x = f["x_test"][:200].reshape(200, 784).astype(np.float32) / 255.0
        y = f["y_test"][:200].astype(np.int64)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    w, b = _weights()
    expected = float(((x @ w + b).argmax(1) == y).mean())
    root = tmp_path / "art"
    args = ("bench", str(model), "--data", str(tmp_path / "d.npz"), *FAST)
    code, _, _ = run(capsys, "--artifacts", str(root), *args)
    assert code == 0
    rows = BenchResults.load(root / "bench" / "latest.json").measured()
    assert rows and all(
        r.accuracy == pytest.approx(expected) and r.eval_images == 200 for r in rows
    )


def test_non_mnist_model_has_no_labelled_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = conv_model(tmp_path / "conv.onnx")
    root = tmp_path / "art"
    code, out, _ = run(capsys, "--artifacts", str(root), "bench", str(model), *FAST)
    assert code == 0
    assert "no labelled data" in out
    raw = json.loads((root / "bench" / "latest.json").read_text())
    measured = [r for r in raw["rows"] if r["skipped_reason"] is None]
    assert len(measured) == 2
    assert all(r["accuracy"] is None and r["p50_ms"] > 0 for r in measured)
    assert "random (seed 0" in measured[0]["note"]


def test_file_and_registered_name_mix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A file next to a name that is not trained: the name's error comes before any timing."""
    model = conv_model(tmp_path / "conv.onnx")
    code, _, err = run(capsys, "--artifacts", str(tmp_path), "bench", str(model), "linear", *FAST)
    assert code == 1 and "mnx train linear" in err


@pytest.mark.parametrize(
    ("make", "extra", "code", "needle"),
    [
        (conv_model, ["--shapes", "image:1x3xfoo"], 2, "is not NAME:DIMS"),
        (conv_model, ["--shapes", "img:1x3x32x32"], 2, "which 'conv.onnx' has no input called"),
        (conv_model, ["--shapes", "image:1x3x64x64"], 2, "fixed at 32"),
        (two_input_model, [], 2, "dynamic dimensions in input a (Nxseq), b (Nxseq)"),
        (lambda p: p.write_bytes(b"not a model") and p, [], 1, "cannot be read as an ONNX model"),
        (lambda p: p, [], 1, "does not exist"),
        (conv_model, ["--backend", "keras"], 2, "Keras runs .keras models only"),
    ],
)
def test_file_mistakes_one_message(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: object,
    extra: list[str],
    code: int,
    needle: str,
) -> None:
    path = tmp_path / ("conv.onnx" if make is conv_model else "m.onnx")
    make(path)  # type: ignore[operator]
    got, out, err = run(capsys, "--artifacts", str(tmp_path), "bench", str(path), *FAST, *extra)
    assert got == code, err
    assert needle in err and "Fix:" in err and len(err.strip().splitlines()) == 1


def test_two_inputs_run_with_shapes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = two_input_model(tmp_path / "add.onnx")
    shapes = "a:1x16,b:1x16"
    code, out, _ = run(
        capsys, "--artifacts", str(tmp_path), "bench", str(model), "--shapes", shapes, *FAST
    )
    assert code == 0
    rows = BenchResults.load(tmp_path / "bench" / "latest.json").measured()
    assert [r.batch_size for r in rows] == [1, 4] and all(r.accuracy is None for r in rows)


def test_changed_file_is_another_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Same name, other bytes: compare matches nothing rather than mixing the two models."""
    from mnx.bench.compare import NothingComparedError, compare

    model = gemm_model(tmp_path / "net.onnx")
    root = tmp_path / "art"
    assert run(capsys, "--artifacts", str(root), "bench", str(model), *FAST)[0] == 0
    first = BenchResults.load(root / "bench" / "latest.json")
    conv_model(model)  # overwrite: another model under the same path
    assert run(capsys, "--artifacts", str(root), "bench", str(model), *FAST)[0] == 0
    second = BenchResults.load(root / "bench" / "latest.json")
    with pytest.raises(NothingComparedError, match="No row of the candidate") as info:
        compare(first, second)
    cmp = info.value.comparison
    assert not cmp.changes and len(cmp.only_in_a) == 2 and len(cmp.only_in_b) == 2


def test_shapes_without_a_file_and_keras_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "--artifacts", str(tmp_path), "bench", "linear", "--shapes", "x:1x784"
    )
    assert code == 2 and "apply to model files" in err
    (tmp_path / "m.keras").write_bytes(b"x")
    code, _, err = run(capsys, "--artifacts", str(tmp_path), "bench", str(tmp_path / "m.keras"))
    assert code == 2 and "mnx export" in err and len(err.strip().splitlines()) == 1


def test_two_files_with_one_stem_stay_apart(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = gemm_model(tmp_path / "a" / "net.onnx")
    two = conv_model(tmp_path / "b" / "net.onnx")
    root = tmp_path / "art"
    code, _, err = run(capsys, "--artifacts", str(root), "bench", str(one), str(two), *FAST)
    assert code == 0, err
    rows = BenchResults.load(root / "bench" / "latest.json").measured()
    assert len({r.network for r in rows}) == 2 and all(r.network.startswith("net@") for r in rows)


def test_openvino_file_runner_matches_numpy(tmp_path: Path) -> None:
    pytest.importorskip("openvino")
    from mnx.toolkit.runners.onnx_file import OpenVinoFileRunner

    model = gemm_model(tmp_path / "gemm.onnx")
    w, b = _weights()
    x = np.random.default_rng(0).random((5, 784)).astype(np.float32)
    with OpenVinoFileRunner(model, threads=1) as runner:
        y = runner.infer({"pixels": x})
        y1 = runner.infer(x[:1])  # another shape: recompiled, still right
    np.testing.assert_allclose(y, x @ w + b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(y1, x[:1] @ w + b, rtol=1e-4, atol=1e-5)


def test_fixed_batch_runs_its_batch_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A model exported with batch 1 (static shapes): batch 1 is measured, batch 4 says why not."""
    import onnx

    model = gemm_model(tmp_path / "static.onnx")
    proto = onnx.load(str(model))
    for v in (proto.graph.input[0], proto.graph.output[0]):
        v.type.tensor_type.shape.dim[0].dim_value = 1
    onnx.save(proto, str(model))
    root = tmp_path / "art"
    code, _, err = run(capsys, "--artifacts", str(root), "bench", str(model), *FAST)
    assert code == 0, err
    rows = BenchResults.load(root / "bench" / "latest.json").rows
    by_batch = {r.batch_size: r for r in rows}
    assert by_batch[1].accuracy == pytest.approx(numpy_accuracy())
    assert by_batch[4].skipped_reason == "the model's batch dimension is fixed at 1"


@pytest.mark.parametrize("preprocess", ["none", "normalize"])
def test_preprocess_choice_feeds_the_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, preprocess: str
) -> None:
    model = gemm_model(tmp_path / "gemm.onnx")
    w, b = _weights()
    with np.load(SUBSET) as f:
        x, y = f["x_test"].reshape(-1, 784).astype(np.float32), f["y_test"]
    if preprocess == "normalize":
        x = (x / 255.0 - 0.1307) / 0.3081
    expected = float(((x @ w + b).argmax(1) == y).mean())
    root = tmp_path / "art"
    args = ("bench", str(model), "--preprocess", preprocess, *FAST)
    assert run(capsys, "--artifacts", str(root), *args)[0] == 0
    rows = BenchResults.load(root / "bench" / "latest.json").measured()
    assert all(r.accuracy == pytest.approx(expected, abs=1e-9) for r in rows)
    assert f"preprocess {preprocess}" in (rows[0].note or "")


def test_bad_preprocess(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = gemm_model(tmp_path / "gemm.onnx")
    code, _, err = run(capsys, "bench", str(model), "--preprocess", "/256", *FAST)
    assert code == 2 and "Unknown preprocessing '/256'" in err


def test_shapes_batch_is_run_unless_batch_sizes_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = conv_model(tmp_path / "conv.onnx")
    root = tmp_path / "art"
    args = ("bench", str(model), "--shapes", "image:2x3x32x32", "--backend", "ort")
    assert run(capsys, "--artifacts", str(root), *args, "--iterations", "3")[0] == 0
    rows = BenchResults.load(root / "bench" / "latest.json").measured()
    assert [r.batch_size for r in rows] == [2]


def _no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import mnx.toolkit.gpu

    monkeypatch.setattr(mnx.toolkit.gpu, "gpu_info", lambda index=0: None)


@pytest.mark.parametrize(
    ("backend", "gpu", "needle"),
    [
        ("trt", False, "cannot run for model file conv on this machine: no CUDA GPU"),
        ("ort-cuda", False, "cannot run for model file conv on this machine: no CUDA GPU"),
        ("trt", True, "engines from model files are not built by mnx yet"),
    ],
)
def test_named_backend_that_cannot_run_a_file_is_an_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    backend: str,
    gpu: bool,
    needle: str,
) -> None:
    """Issue 11.10 for files: a backend asked for by name that cannot run is an error, before any
    work and with nothing saved (the default set skips it with the reason instead)."""
    import mnx.toolkit.gpu

    model = conv_model(tmp_path / "conv.onnx")
    monkeypatch.setattr(mnx.toolkit.gpu, "gpu_info", lambda index=0: object() if gpu else None)
    root = tmp_path / "art"
    args = ("bench", str(model), "--backend", f"ort,{backend}", "--iterations", "3")
    code, _, err = run(capsys, "--artifacts", str(root), *args)
    assert code == 1 and f"Backend '{backend}'" in err and needle in err
    assert "Fix:" in err and len(err.strip().splitlines()) == 1
    assert not (root / "bench").exists()


def test_default_backends_skip_what_cannot_run_a_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_gpu(monkeypatch)
    model = conv_model(tmp_path / "conv.onnx")
    root = tmp_path / "art"
    args = ("bench", str(model), "--batch-sizes", "1", "--iterations", "3", "--warmup", "0")
    code, out, err = run(capsys, "--artifacts", str(root), *args)
    assert code == 0, err
    rows = {r.backend: r for r in BenchResults.load(root / "bench" / "latest.json").rows}
    # No keras row: Keras runs .keras files only. OpenVINO (installed here) runs files on CPU.
    assert set(rows) == {"ort", "ort-cuda", "trt", "openvino"}
    assert rows["ort"].p50_ms and not rows["ort"].skipped
    assert rows["trt"].skipped_reason and "no CUDA GPU" in rows["trt"].skipped_reason
    assert rows["ort-cuda"].skipped_reason and "no CUDA GPU" in rows["ort-cuda"].skipped_reason


def test_named_ort_without_onnxruntime_fails_for_a_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    model = conv_model(tmp_path / "conv.onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` fails
    code, _, err = run(capsys, "--artifacts", str(tmp_path), "bench", str(model), *FAST)
    assert code == 1 and "Backend 'ort' cannot run for model file conv" in err
    assert "ONNX Runtime is not installed" in err


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--seed", "-1"], "Seed -1 is out of range"),
        (["--seed", str(2**32)], "is out of range"),
        (["--preprocess", "norm"], "Did you mean 'normalize'"),
    ],
)
def test_file_options_validated_by_bench_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], needle: str
) -> None:
    model = conv_model(tmp_path / "conv.onnx")
    code, _, err = run(capsys, "--artifacts", str(tmp_path), "bench", str(model), *FAST, *extra)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_file_options_round_trip_in_results(tmp_path: Path) -> None:
    """The file options are part of the recorded request: a results file reloads them typed."""
    from mnx.bench.records import BenchConfig
    from mnx.toolkit.options import Preprocess

    config = BenchConfig(
        networks=("a.onnx",),
        shapes=(("a", (1, 16)), ("b", (1, 16))),
        preprocess="normalize",  # type: ignore[arg-type]
        data_path="d.npz",
        seed=7,
    )
    again = BenchConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config and again.preprocess is Preprocess.NORMALIZE
    assert again.shapes == (("a", (1, 16)), ("b", (1, 16)))


def test_plan_file_source_beside_a_network_of_its_name(bench_root: Path) -> None:
    """mnx's own linear/model.fp32.onnx given as a file is labelled `linear`; next to the
    registered `linear` its rows are told apart by its sha256, and each target owns its
    variants only."""
    from mnx.bench.plan import make_plan
    from mnx.bench.records import BenchConfig
    from mnx.toolkit.artifacts import sha256_file

    onnx_file = bench_root / "linear" / "model.fp32.onnx"
    config = BenchConfig(
        networks=("linear", str(onnx_file)), backends=("ort",), precisions=("fp32",)
    )  # type: ignore[arg-type]
    plan = make_plan(config, bench_root)
    network, file = plan.targets
    assert network.source is None and network.name == "linear"
    assert file.source is not None and file.name == f"linear@{sha256_file(onnx_file)[:8]}"
    assert [v.model_file for v in plan.of(file)] == [onnx_file]
    assert [v.network for v in plan.of(network)] == ["linear"]
    assert len(plan.runnable()) == 2


def test_run_bench_on_a_file_reports_progress_and_loads_no_mnist(tmp_path: Path) -> None:
    """A file MNIST cannot label needs no MNIST (data is never loaded), and the progress
    callback counts its variant x batch measurements like a network's."""
    from mnx.bench.records import BenchConfig
    from mnx.bench.run import Progress, run_bench

    class NoData:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"MNIST was used ({name})")

    model = conv_model(tmp_path / "conv.onnx")
    seen: list[Progress] = []
    config = BenchConfig(
        networks=(str(model),),
        backends=("ort",),
        batch_sizes=(1, 2),
        duration_s=None,
        iterations=3,
    )  # type: ignore[arg-type]
    results = run_bench(config, tmp_path, data=NoData(), progress=seen.append)
    assert [r.batch_size for r in results.measured()] == [1, 2]
    assert seen[-1] == Progress(2, 2, "") and {p.total for p in seen} == {2}
