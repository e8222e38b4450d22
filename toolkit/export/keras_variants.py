"""A Keras-file export (toolkit.export.keras_file) as a run of the registry export pipeline.

`adopt` puts the user's bytes into the store as source.keras (the root of the directory's input
chain) and writes source.json last, recorded with source.keras's sha256, as `mnx train` writes
train.json after model.keras. `KerasFileJob` is the pipeline's export job for that model: the
variants are built, checked, renamed and recorded by pipeline.make_variant and export.int8, the
one code path; only the conversion (any single-input model) and the parity check (tolerances
scaled for outputs that need not be probabilities) are the file's own.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.toolkit import store
from mnx.toolkit.export import parity as par
from mnx.toolkit.export.pipeline import _Job
from mnx.toolkit.store.build import Snapshot
from mnx.toolkit.store.verify import SOURCE_FILE, SOURCE_RECORD


@dataclass(frozen=True)
class Spec:
    """The model's one input (per sample, without the batch dimension) and one output."""

    per_sample: tuple[int | None, ...]
    dtype: str
    outputs: tuple[int | None, ...]


@dataclass(frozen=True)
class FileData:
    """Parity inputs (already shaped for the model), labels when known, and what calibration
    draws from: `x_train` samples made model inputs by `prepare`."""

    x_test: np.ndarray
    y_test: np.ndarray | None
    x_train: np.ndarray | None
    prepare: Callable[[np.ndarray], np.ndarray]
    source: str
    sha256: str  # of the data and how it is prepared: the key of records and caches
    subset: bool = False


def to_onnx(model: Any, spec: Spec, out: Path, opset: int) -> None:
    """The Keras file's model to a checked ONNX file, named input/output (toolkit.export.onnx)."""
    from mnx.toolkit.export.onnx import onnx_from_model

    what = "ONNX model converted from the Keras file"
    onnx_from_model(model, tuple(spec.per_sample), spec.dtype, out, opset, "the model", what)


def adopt(origin: Path, snap: Snapshot, net_dir: Path) -> Snapshot:
    """Make `net_dir/source.keras` the snapshot's bytes (kept when already current with them)
    and source.json name `origin`; returns the snapshot as the FP32 file's input."""
    from mnx.toolkit.artifacts import read_json, utc_now

    verdict = store.verify(net_dir, SOURCE_FILE)
    if not (verdict.current and verdict.sha256 == snap.sha256):
        with store.build(net_dir, SOURCE_FILE, inputs={}) as job:
            shutil.copyfile(snap.path, job.path)
    where = {"kind": "keras-file", "path": str(origin.resolve()), "sha256": snap.sha256}
    recorded = store.verify(net_dir, SOURCE_RECORD)
    if not (recorded.current and _same(read_json(net_dir / SOURCE_RECORD), where)):
        import json

        with store.build(net_dir, SOURCE_RECORD, inputs={SOURCE_FILE: snap.sha256}) as job:
            job.path.write_text(json.dumps({**where, "adopted_utc": utc_now()}, indent=2))
    return Snapshot(SOURCE_FILE, snap.path, snap.sha256)


def _same(found: Any, want: dict[str, str]) -> bool:
    return isinstance(found, dict) and all(found.get(k) == v for k, v in want.items())


class KerasFileJob(_Job):
    """The pipeline's export job for a user's Keras file, loaded from the adopted snapshot."""

    root_file = SOURCE_FILE

    def __init__(
        self,
        name: str,
        net_dir: Path,
        data: FileData,
        model_snap: Snapshot,
        tmp: Path,
        model: Any,
        spec: Spec,
    ) -> None:
        super().__init__(name, net_dir, data, None, model_snap, tmp)
        self._model, self._x_test, self.spec, self.file_data = model, data.x_test, spec, data

    def preprocess(self, x: Any) -> Any:
        return self.file_data.prepare(x)

    def write_fp32(self, out: Path, opset: int) -> None:
        to_onnx(self.model, self.spec, out, opset)

    def check(self, variant: str, path: Path, fp32_atol: float) -> tuple[dict[str, Any], list[str]]:
        """Parity against Keras, with absolute tolerances scaled by max(1, max |Keras output|);
        accuracy only with labels, agreement only for (N, classes) outputs."""
        from mnx.toolkit.export.precision import Int8Encoding
        from mnx.toolkit.reference import keras_reference

        x, labels = self.file_data.x_test, self.file_data.y_test
        ref = keras_reference(
            self.net_dir,
            self.model_snap.sha256,
            x,
            self.data.sha256,
            lambda: self.model,
            model_file=SOURCE_FILE,
        )
        outputs = par.onnx_outputs(path, x, exact_qdq=variant == Int8Encoding.S8.value)
        scale = max(1.0, float(np.abs(ref).max()))
        diff = float(np.abs(outputs - ref).max())
        classify, labelled = ref.ndim == 2, ref.ndim == 2 and labels is not None
        p = par.Parity(
            images=len(ref),
            accuracy=float((outputs.argmax(1) == labels).mean()) if labelled else 0.0,
            keras_accuracy=float((ref.argmax(1) == labels).mean()) if labelled else 0.0,
            agreement=float((outputs.argmax(1) == ref.argmax(1)).mean()) if classify else 1.0,
            max_abs_diff=diff / scale,
        )
        warnings = par.enforce(variant, p, fp32_atol)
        record = {
            **asdict(p),
            "accuracy": p.accuracy if labelled else None,
            "keras_accuracy": p.keras_accuracy if labelled else None,
            "agreement": p.agreement if classify else None,
            "max_abs_diff": diff,
            "tolerance_scale": scale,
        }
        return record, warnings
