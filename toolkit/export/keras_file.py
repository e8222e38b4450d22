"""`export_keras_file`: any single-input, single-output Keras 3 model file -> FP32 (+ FP16, + INT8)
ONNX under `<root>/<stem>/`, each checked against Keras and recorded like a registry network's.

The user's file is copied to `<stem>/source.keras` (its sha256 in the manifest and in
`source.json` with the original path), so every ONNX file is recorded as made from exactly those
bytes: a changed file is a new model and its old exports are rebuilt, never reused.

Parity data: MNIST test images when the model is MNIST-shaped (28x28x1, 1x28x28, 28x28 or 784
values in, 10 out), else `--data x.npz`, else seeded random inputs (no accuracy then). INT8
calibrates on MNIST training images or on `--data` x; with neither, --int8 is an error. Outputs
of a foreign model need not be probabilities, so the absolute tolerances of registry networks are
scaled by max(1, max |Keras output|).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import ExportError, UsageError
from mnx.toolkit.export import parity as par
from mnx.toolkit.export.keras_variants import Ctx, int8_variants, to_onnx
from mnx.toolkit.export.pipeline import ExportOptions, ExportReport
from mnx.toolkit.external import (
    DEFAULT_SEED,
    MNIST_SHAPES,
    NUM_CLASSES,
    SOURCE_RECORD,
    load_npz,
    mnist_inputs,
    require_file,
)
from mnx.toolkit.options import Preprocess

SOURCE_FILE = "source.keras"
PARITY_SAMPLES = 1000  # random or --data inputs checked per variant (MNIST: the whole test set)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class _Data:
    x_test: np.ndarray
    y_test: np.ndarray | None
    x_calib: np.ndarray | None
    source: str
    sha256: str


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
    from mnx.toolkit.artifacts import artifacts_root, sha256_file

    options = options or ExportOptions()
    say = progress or (lambda _msg: None)
    if options.trt:
        raise UsageError(
            "--trt is not supported for Keras model files",
            expected="ONNX export of the file (FP32, --fp16, --int8)",
            fix="drop --trt; build an engine from the ONNX with trtexec",
        )
    require_file(path, "Keras model")
    root = root or artifacts_root()
    name = _name_for(path, root)
    net_dir = root / name
    model = _load(path)
    spec = _signature(model, path)
    data = _data(spec, options, data_path, preprocess)
    net_dir.mkdir(parents=True, exist_ok=True)
    source = _adopt(path, net_dir)
    from mnx.toolkit.export.pipeline import _versions

    ctx = Ctx(name, net_dir, source, model, data, options, _versions(), say)
    ctx.reference = np.asarray(
        par.keras_reference(model, data.x_test, (sha256_file(source), data.sha256))
    )
    fp32 = net_dir / "model.fp32.onnx"
    base = {"data_sha256": data.sha256, "source_sha256": sha256_file(source)}
    ctx.make(
        "fp32",
        fp32,
        source,
        {**base, "opset": options.opset},
        lambda out: to_onnx(model, spec, out, options.opset),
    )
    if options.fp16:
        from mnx.toolkit.export import precision

        ctx.make(
            "fp16",
            net_dir / "model.fp16.onnx",
            fp32,
            base,
            lambda out: precision.fp16_from_onnx(fp32, out),
        )
    calibration = int8_variants(ctx, fp32, base) if options.int8 else None
    return ExportReport(
        name=name,
        variants=tuple(ctx.reports),
        calibration=calibration,
        trt_note="TensorRT: not built for model files (build from the ONNX with trtexec)",
        data_source=data.source,
        warnings=tuple(w for r in ctx.reports for w in r.warnings),
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


def _load(path: Path) -> Any:
    import keras

    from mnx.errors import CorruptArtifactError

    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # ValueError, OSError, zipfile errors... for a bad or foreign file
        raise CorruptArtifactError(
            f"'{path}' cannot be loaded as a Keras model ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160] if str(exc) else 'no detail'})",
            expected="a .keras file saved by Keras 3 (model.save('m.keras'))",
            fix="check the file; custom layers must be importable (registered) when loading",
        ) from exc


@dataclass(frozen=True)
class _Spec:
    per_sample: tuple[int | None, ...]
    dtype: str
    outputs: tuple[int | None, ...]

    @property
    def mnist(self) -> bool:
        shape = tuple(-1 if d is None else d for d in self.per_sample)
        return shape in MNIST_SHAPES and self.outputs[-1:] == (NUM_CLASSES,)


def _signature(model: Any, path: Path) -> _Spec:
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ExportError(
            f"'{path.name}' has {len(model.inputs)} inputs and {len(model.outputs)} outputs",
            expected="a single-input, single-output model",
            fix="export a model with one input and one output",
        )
    inp, out = model.inputs[0], model.outputs[0]
    dtype = str(getattr(inp.dtype, "name", inp.dtype))
    return _Spec(tuple(inp.shape[1:]), dtype, tuple(out.shape[1:]))


def _data(spec: _Spec, options: ExportOptions, data_path: Path | None, pre: Preprocess) -> _Data:
    from mnx.toolkit.export.calibration import select_samples

    calib_n, seed = options.calibration_samples, options.calibration_seed
    if data_path is not None:
        d = load_npz(data_path)
        want = spec.per_sample
        got = d.x.shape[1:]
        if len(got) != len(want) or any(
            w is not None and w != g for w, g in zip(want, got, strict=False)
        ):
            raise UsageError(
                f"--data x has samples of shape {got}; the model takes {want}",
                expected="x shaped (samples, *the model's input without the batch dimension)",
                fix="reshape x before saving it",
            )
        x = d.x.astype(spec.dtype)
        x_cal = select_samples(x, min(calib_n, len(x)), seed) if options.int8 else None
        return _Data(
            x[:PARITY_SAMPLES], d.y[:PARITY_SAMPLES], x_cal, f"--data {data_path}", d.sha256
        )
    if spec.mnist:
        from mnx.toolkit.data import load_mnist

        m = load_mnist()
        shape = tuple(d for d in spec.per_sample if d is not None)
        x_cal = (
            mnist_inputs(select_samples(m.x_train, calib_n, seed), shape, pre)
            if options.int8
            else None
        )
        src = f"{m.source}{' (subset)' if m.subset else ''}, preprocess {pre.value}"
        return _Data(
            mnist_inputs(m.x_test, shape, pre),
            np.asarray(m.y_test).astype(np.int64),
            x_cal,
            src,
            m.sha256,
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
    from mnx.toolkit.artifacts import sha256_bytes

    shape = (PARITY_SAMPLES, *[int(d) for d in spec.per_sample if d is not None])
    x = np.random.default_rng(DEFAULT_SEED).random(shape).astype(spec.dtype)
    return _Data(x, None, None, f"random inputs (seed {DEFAULT_SEED})", sha256_bytes(x.tobytes()))


def _adopt(path: Path, net_dir: Path) -> Path:
    """Copy the user's file to source.keras (replacing a different one) and note where from."""
    from mnx.toolkit.artifacts import sha256_file, utc_now, write_json_atomic

    target = net_dir / SOURCE_FILE
    sha = sha256_file(path)
    if not target.is_file() or sha256_file(target) != sha:
        with tempfile.NamedTemporaryFile(dir=net_dir, prefix=".source.", delete=False) as tmp:
            pass
        shutil.copyfile(path, tmp.name)
        os.replace(tmp.name, target)
    write_json_atomic(
        net_dir / SOURCE_RECORD,
        {
            "kind": "keras-file",
            "path": str(path.resolve()),
            "sha256": sha,
            "adopted_utc": utc_now(),
        },
    )
    return target
