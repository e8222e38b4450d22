"""toolkit.store without Keras: what `verify` says about each way a file can go wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnx.toolkit import store
from mnx.toolkit.store import Reason


def _put(net_dir: Path, name: str, data: bytes, inputs: dict[str, str], **kw: object) -> str:
    with store.build(net_dir, name, inputs=inputs, **kw) as job:  # type: ignore[arg-type]
        job.path.write_bytes(data)
    assert job.sha256 is not None
    return job.sha256


@pytest.fixture
def net(tmp_path: Path) -> Path:
    """A network folder made as train + export make it: model.keras, train.json, one ONNX."""
    net_dir = tmp_path / "linear"
    model = _put(net_dir, "model.keras", b"weights", {}, options={"seed": 0})
    _put(net_dir, "train.json", b"{}", {"model.keras": model})
    _put(net_dir, "model.fp32.onnx", b"onnx", {"model.keras": model}, options={"opset": 17})
    return net_dir


def test_current_chain(net: Path) -> None:
    v = store.verify(net, "model.fp32.onnx", options={"opset": 17})
    assert v.current and v.sha256 and v.record is not None


@pytest.mark.parametrize(
    ("damage", "reason", "fix"),
    [
        (
            lambda d: (d / "model.fp32.onnx").write_bytes(b"edited"),
            Reason.FILE_CHANGED,
            "mnx export linear",
        ),
        (
            lambda d: (d / "model.keras").write_bytes(b"other"),
            Reason.INPUT_CHANGED,
            "mnx train linear` then `mnx export linear",
        ),
        (lambda d: (d / "train.json").unlink(), Reason.INPUT_CHANGED, "mnx train linear` then"),
        (lambda d: (d / "manifest.json").unlink(), Reason.NO_RECORD, "mnx train linear` then"),
        (
            lambda d: (d / "manifest.json").write_text("{"),
            Reason.MANIFEST_UNREADABLE,
            "mnx train linear` then",
        ),
        (lambda d: (d / "model.fp32.onnx").unlink(), Reason.MISSING, "mnx export linear"),
    ],
)
def test_each_damage_is_refused_with_its_fix(net: Path, damage, reason: Reason, fix: str) -> None:  # type: ignore[no-untyped-def]
    damage(net)
    v = store.verify(net, "model.fp32.onnx")
    assert (v.reason, v.current) == (reason, False)
    assert fix in v.fix("linear")


def test_other_options_and_foreign_records(net: Path, tmp_path: Path) -> None:
    assert (
        store.verify(net, "model.fp32.onnx", options={"opset": 13}).reason is Reason.OPTIONS_CHANGED
    )
    other = tmp_path / "m31_k3"
    net.rename(other)  # a whole folder copied under another network's name
    assert store.verify(other, "model.keras").reason is Reason.FOREIGN


def test_failed_build_leaves_old_file_and_record(net: Path) -> None:
    before = store.verify(net, "model.fp32.onnx")
    with pytest.raises(RuntimeError), store.build(net, "model.fp32.onnx", inputs={}) as job:
        job.path.write_bytes(b"half")
        raise RuntimeError("parity failed")
    assert (net / "model.fp32.onnx").read_bytes() == b"onnx"
    assert store.verify(net, "model.fp32.onnx") == before
    assert not [p for p in net.iterdir() if ".tmp" in p.name]


def test_unreadable_manifest_is_kept_aside_when_rewritten(net: Path) -> None:
    (net / "manifest.json").write_text("{")
    _put(net, "history.json", b"[]", {})
    assert (net / "manifest.json.unreadable").read_text() == "{"
    assert store.verify(net, "model.keras").reason is Reason.NO_RECORD  # the old records are gone
