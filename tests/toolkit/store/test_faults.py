"""Kill -9 at the store's commit points of real `mnx train` / `mnx export` runs: afterwards the
reader (bench's variant resolution) either refuses a file or accepts one that the current
model.keras produced — never an old or half-made one — and a plain re-run repairs everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from support.paths import ROOT, SUBSET

COMBOS = (("keras", "fp32"), ("ort", "fp32"), ("ort", "fp16"))
ATOL = {"fp32": 1e-4, "fp16": 1e-2}  # the export parity tolerances (toolkit.export.parity)


def _mnx(root: Path, *argv: str, fault: str | None = None) -> int:
    env = {**os.environ, "MNX_ARTIFACTS": str(root), "MNX_MNIST": str(SUBSET)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.pop("MNX_FAULT_POINT", None)
    if fault:
        env["MNX_FAULT_POINT"] = fault
    code = "import sys; from mnx.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True)
    return done.returncode


def _accepted(root: Path, subset_data) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """What bench would measure; each accepted ONNX file is checked against the model.keras now
    in place (loaded directly, not through the store)."""
    import keras
    import onnxruntime as ort

    from mnx.architectures import get
    from mnx.bench.variants import Request, resolve
    from mnx.toolkit.data import preprocess
    from mnx.toolkit.options import Backend, Precision

    net_dir, net = root / "linear", get("linear")
    x = preprocess(subset_data.x_test[:200], net.recipe.preprocessing, net.layout)
    accepted: set[tuple[str, str]] = set()
    for backend, precision in COMBOS:
        v = resolve(Request("linear", Backend(backend), Precision(precision), net_dir, threads=1))
        assert v is not None
        if v.make_runner is None:
            assert "run `mnx" in (v.skipped_reason or ""), v.skipped_reason
            continue
        accepted.add((backend, precision))
        if backend == "ort":
            model = keras.saving.load_model(net_dir / "model.keras", compile=False)
            want = np.asarray(model.predict_on_batch(x))
            session = ort.InferenceSession(str(v.model_file), providers=["CPUExecutionProvider"])
            got = session.run(None, {"input": x})[0]
            assert np.abs(got - want).max() <= ATOL[precision], (backend, precision)
    return accepted


def test_kill9_at_commit_points_never_yields_a_trusted_wrong_file(
    copy_trained: Path, subset_data
) -> None:  # type: ignore[no-untyped-def]
    from mnx.toolkit.export.pipeline import ExportOptions, export

    root = copy_trained
    export("linear", ExportOptions(fp16=True, trt=False), root)
    everything = set(COMBOS)
    assert _accepted(root, subset_data) == everything

    retrain = ("train", "linear", "--epochs", "1", "--seed", "1")
    # model.keras renamed into place, its record not yet written: the new bytes are untrusted,
    # and so is every ONNX file (made from the old model).
    assert _mnx(root, *retrain, fault="renamed:model.keras") == -signal.SIGKILL
    assert _accepted(root, subset_data) == set()
    # model.keras recorded, train.json not yet: still untrusted.
    assert _mnx(root, *retrain, fault="recorded:model.keras") == -signal.SIGKILL
    assert _accepted(root, subset_data) == set()
    assert _mnx(root, *retrain) == 0
    assert _accepted(root, subset_data) == {("keras", "fp32")}  # the ONNX files are the old model's

    # fp32 committed, fp16 renamed without its record.
    assert _mnx(root, "export", "linear", "--fp16", fault="renamed:model.fp16.onnx") == -9
    assert _accepted(root, subset_data) == {("keras", "fp32"), ("ort", "fp32")}
    report = export("linear", ExportOptions(fp16=True, trt=False), root)  # the re-run repairs
    assert {v.variant: v.status for v in report.variants} == {"fp32": "current", "fp16": "exported"}
    assert _accepted(root, subset_data) == everything


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_lost_manifest_trusts_nothing(copy_trained: Path, subset_data, damage: str) -> None:  # type: ignore[no-untyped-def]
    from mnx.errors import StaleArtifactError
    from mnx.toolkit.export.pipeline import ExportOptions, export

    root = copy_trained
    export("linear", ExportOptions(fp16=True, trt=False), root)
    manifest = root / "linear" / "manifest.json"
    if damage == "delete":
        manifest.unlink()
    else:
        manifest.write_text("{not json")
    assert _accepted(root, subset_data) == set()
    with pytest.raises(StaleArtifactError, match="run `mnx train linear`") as err:
        export("linear", ExportOptions(), root)
    assert "delete" not in str(err.value)
