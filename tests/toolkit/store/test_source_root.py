"""A directory made by `mnx export FILE.keras`: its input chain ends at source.keras, trusted only
with the source.json written after it (as model.keras only with train.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mnx.bench.variants import SkipKind, store_skip
from mnx.errors import StaleArtifactError
from mnx.toolkit import store
from mnx.toolkit.options import Precision
from mnx.toolkit.store import Reason

ORIGIN = "/data/their_net.keras"


def _put(net_dir: Path, name: str, data: bytes, inputs: dict[str, str]) -> str:
    with store.build(net_dir, name, inputs=inputs) as job:
        job.path.write_bytes(data)
    assert job.sha256 is not None
    return job.sha256


@pytest.fixture
def adopted(tmp_path: Path) -> Path:
    net_dir = tmp_path / "their_net"
    source = _put(net_dir, "source.keras", b"user weights", {})
    _put(net_dir, "source.json", json.dumps({"path": ORIGIN}).encode(), {"source.keras": source})
    _put(net_dir, "model.fp32.onnx", b"onnx", {"source.keras": source})
    return net_dir


def test_chain_ends_at_source_keras(adopted: Path) -> None:
    assert store.verify(adopted, "model.fp32.onnx").current
    assert store_skip("their_net", adopted, "model.fp32.onnx") is None


def test_edited_source_keras_untrusts_its_exports(adopted: Path) -> None:
    (adopted / "source.keras").write_bytes(b"other weights")
    v = store.verify(adopted, "model.fp32.onnx")
    assert v.reason is Reason.INPUT_CHANGED and v.broken == "source.keras"
    skip = store_skip("their_net", adopted, "model.fp32.onnx", Precision.FP16)
    assert skip is not None and skip.kind is SkipKind.STALE
    assert skip.fix == f"run `mnx export {ORIGIN} --fp16`"


def test_source_keras_needs_its_source_json_record(adopted: Path) -> None:
    """Killed after source.keras was recorded, before source.json was: nothing is trusted."""
    store.remove_record(adopted, "source.json")
    v = store.verify(adopted, "model.fp32.onnx")
    assert not v.current and v.broken == "source.keras"
    assert "no completed adoption" in v.detail


def test_unrecorded_file_points_at_the_keras_file(adopted: Path) -> None:
    (adopted / "model.fp16.onnx").write_bytes(b"by hand")
    skip = store_skip("their_net", adopted, "model.fp16.onnx", Precision.FP16)
    assert skip is not None and skip.fix == f"run `mnx export {ORIGIN} --fp16`"
    with pytest.raises(StaleArtifactError, match=f"mnx export {ORIGIN}"):
        store.require_current(adopted, "model.fp16.onnx", "their_net")
