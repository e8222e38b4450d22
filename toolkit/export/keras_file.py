"""`export_keras_file`: any single-input, single-output Keras 3 model file -> FP32 (+ FP16, + INT8)
ONNX under `<root>/<stem>/`, each built, checked against Keras, renamed and recorded through the
store by the registry export pipeline (export.keras_variants runs the file as a pipeline job).

The user's file is snapshotted once, loaded from that snapshot and adopted into the store as
`<stem>/source.keras`, with `source.json` (the original path) written last: the input chain of
every ONNX file ends there, so a changed file is a new model and its old exports are rebuilt,
never reused.

Parity data: MNIST test images when the model is MNIST-shaped (28x28x1, 1x28x28, 28x28 or 784
values in, 10 out), else `--data x.npz`, else seeded random inputs (no accuracy then). INT8
calibrates on MNIST training images or on `--data` x; with neither, --int8 is an error. Outputs
of a foreign model need not be probabilities, so the absolute tolerances of registry networks are
scaled by max(1, max |Keras output|).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import ExportError, UsageError
from mnx.toolkit.export.keras_variants import FileData, KerasFileJob, Spec, adopt
from mnx.toolkit.export.pipeline import ExportOptions, ExportReport
from mnx.toolkit.external import (
    DEFAULT_SEED,
    MNIST_SHAPES,
    NUM_CLASSES,
    load_npz,
    mnist_inputs,
    require_file,
)
from mnx.toolkit.options import Preprocess

PARITY_SAMPLES = 1000  # random or --data inputs checked per variant (MNIST: the whole test set)
Progress = Callable[[str], None]


def export_model_file(
    path: Path,
    options: ExportOptions | None = None,
    root: Path | None = None,
    **kwargs: Any,
) -> ExportReport:
    """Export a user's model file: .keras is converted; anything else gets one clear message."""
    if path.suffix.lower() == ".onnx":
        raise UsageError(
            f"'{path}' is already ONNX",
            expected="a .keras file to export (or a registered network name)",
            fix=f"bench it as it is: `mnx bench {path}`",
        )
    if path.suffix.lower() != ".keras":
        raise UsageError(
            f"'{path}' is neither a registered network nor a .keras file",
            expected="a network name (`mnx list`) or a Keras 3 model file ending in .keras",
            fix="pass a .keras file (model.save('m.keras')) or a registered name",
        )
    return export_keras_file(path, options, root, **kwargs)


def export_keras_file(
    path: Path,
    options: ExportOptions | None = None,
    root: Path | None = None,
    *,
    data_path: Path | None = None,
    preprocess: Preprocess = Preprocess.DIV255,
    progress: Progress | None = None,
) -> ExportReport:
    """Export the Keras model file `path`; raises UsageError/CorruptArtifactError/ExportError."""
    from mnx.toolkit import store
    from mnx.toolkit.artifacts import artifacts_root
    from mnx.toolkit.export.pipeline import onnx_variants, require_exporters

    options = options or ExportOptions()
    say = progress or (lambda _msg: None)
    if options.trt:
        raise UsageError(
            "--trt is not supported for Keras model files",
            expected="ONNX export of the file (FP32, --fp16, --int8)",
            fix="drop --trt; build an engine from the ONNX with trtexec",
        )
    require_file(path, "Keras model")
    require_exporters()
    root = root or artifacts_root()
    name = _name_for(path, root)
    net_dir = root / name
    with tempfile.TemporaryDirectory(prefix="mnx-export-") as tmp:
        snap = store.snapshot(path, Path(tmp))  # the bytes loaded, recorded and converted
        model = _load(snap.path, path)
        spec = _signature(model, path)
        data = _data(spec, options, data_path, preprocess)
        if data_path is not None and data.x_train is not None:  # may hold fewer samples
            n = min(options.calibration_samples, len(data.x_train))
            options = replace(options, calibration_samples=n)
        net_dir.mkdir(parents=True, exist_ok=True)
        source = adopt(path, snap, net_dir)
        job = KerasFileJob(name, net_dir, data, source, Path(tmp), model, spec)
        calibration = onnx_variants(job, options, say)
    return ExportReport(
        name=name,
        variants=tuple(job.reports),
        calibration=calibration,
        trt_note="TensorRT: not built for model files (build from the ONNX with trtexec)",
        data_source=data.source,
        warnings=tuple(w for r in job.reports for w in r.warnings),
    )


def _name_for(path: Path, root: Path) -> str:
    from mnx import architectures

    name = path.stem
    if name in architectures.names():
        raise UsageError(
            f"'{path.name}' would export to artifacts/{name}/, the folder of the registered "
            f"network '{name}'",
            expected="a file name that is not a registered network's name",
            fix=f"rename the file, e.g. my_{name}.keras",
        )
    trained = (root / name / "model.keras").is_file()
    if name.startswith(".") or name in ("bench", "cache") or os.sep in name or trained:
        raise UsageError(
            f"'{path.name}' gives the artifacts folder name '{name}', which mnx reserves"
            + (" (it holds a network trained by `mnx train`)" if trained else ""),
            expected="a plain file name",
            fix="rename the file",
        )
    return name


def _load(snapshot: Path, path: Path) -> Any:
    import keras

    from mnx.errors import CorruptArtifactError

    try:
        return keras.saving.load_model(snapshot, compile=False)
    except Exception as exc:  # ValueError, OSError, zipfile errors... for a bad or foreign file
        raise CorruptArtifactError(
            f"'{path}' cannot be loaded as a Keras model ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160] if str(exc) else 'no detail'})",
            expected="a .keras file saved by Keras 3 (model.save('m.keras'))",
            fix="check the file; custom layers must be importable (registered) when loading",
        ) from exc


def _signature(model: Any, path: Path) -> Spec:
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ExportError(
            f"'{path.name}' has {len(model.inputs)} inputs and {len(model.outputs)} outputs",
            expected="a single-input, single-output model",
            fix="export a model with one input and one output",
        )
    inp, out = model.inputs[0], model.outputs[0]
    dtype = str(getattr(inp.dtype, "name", inp.dtype))
    return Spec(tuple(inp.shape[1:]), dtype, tuple(out.shape[1:]))


def _is_mnist(spec: Spec) -> bool:
    shape = tuple(-1 if d is None else d for d in spec.per_sample)
    return shape in MNIST_SHAPES and spec.outputs[-1:] == (NUM_CLASSES,)


def _data(spec: Spec, options: ExportOptions, data_path: Path | None, pre: Preprocess) -> FileData:
    from mnx.toolkit.artifacts import sha256_bytes

    if data_path is not None:
        return _npz_data(spec, data_path)
    if _is_mnist(spec):
        from mnx.toolkit.data import load_mnist

        m = load_mnist()
        shape = tuple(d for d in spec.per_sample if d is not None)
        src = f"{m.source}{' (subset)' if m.subset else ''}, preprocess {pre.value}"
        return FileData(
            mnist_inputs(m.x_test, shape, pre),
            np.asarray(m.y_test).astype(np.int64),
            m.x_train,
            lambda x: mnist_inputs(x, shape, pre),
            src,
            # Another --preprocess or layout feeds other inputs: another key for every record.
            sha256_bytes(f"{m.sha256}:{pre.value}:{shape}".encode()),
            bool(m.subset),
        )
    if options.int8:
        raise UsageError(
            f"INT8 needs calibration data, and this model (input {spec.per_sample}) is not "
            "MNIST-shaped",
            expected="--data FILE.npz holding x (inputs like the model's) and y (labels)",
            fix="pass --data, or export without --int8",
        )
    if any(d is None for d in spec.per_sample):
        raise UsageError(
            f"The model's input {spec.per_sample} has dynamic dimensions besides the batch",
            expected="--data FILE.npz with inputs to check the ONNX files on",
            fix="pass --data",
        )
    shape = (PARITY_SAMPLES, *[int(d) for d in spec.per_sample if d is not None])
    x = np.random.default_rng(DEFAULT_SEED).random(shape).astype(spec.dtype)
    source = f"random inputs (seed {DEFAULT_SEED})"
    return FileData(x, None, None, _as_is, source, sha256_bytes(x.tobytes()))


def _npz_data(spec: Spec, data_path: Path) -> FileData:
    from mnx.toolkit.artifacts import sha256_bytes

    d = load_npz(data_path)
    want, got = spec.per_sample, d.x.shape[1:]
    if len(got) != len(want) or any(
        w is not None and w != g for w, g in zip(want, got, strict=False)
    ):
        raise UsageError(
            f"--data x has samples of shape {got}; the model takes {want}",
            expected="x shaped (samples, *the model's input without the batch dimension)",
            fix="reshape x before saving it",
        )
    x = d.x.astype(spec.dtype)
    key = sha256_bytes(f"{d.sha256}:{spec.dtype}".encode())
    source = f"--data {data_path}"
    return FileData(x[:PARITY_SAMPLES], d.y[:PARITY_SAMPLES], x, _as_is, source, key)


def _as_is(x: np.ndarray) -> np.ndarray:
    return x
