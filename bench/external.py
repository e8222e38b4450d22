"""The file-path source of a bench plan: ONNX files a user points at (`mnx bench model.onnx`).

A file is benched as it is, on every requested backend that runs ONNX files here
(bench.file_backends), at each batch size its shapes allow. Its rows carry the file's stem as
`network` and its sha256 as `source_sha256`, so a changed file is a new model (compare never
matches the two). Accuracy comes from MNIST when the file is an MNIST classifier, from
`--data x.npz` when given, else it is None ("no labelled data"); timed inputs are then seeded
random data in the model's input dtypes.

bench.plan asks `file_sources` for each name (None: a registered network), `file_variants` for
each source; bench.run measures a source's variants with `FileMeasurer`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnx.bench.file_backends import FILE_BACKENDS, file_runner
from mnx.bench.harness import HarnessConfig
from mnx.bench.records import BenchConfig, BenchRow
from mnx.bench.timing import timed_fields
from mnx.bench.variants import Skip, SkipKind, Variant
from mnx.errors import DataError, MnxError, StaleArtifactError, UsageError
from mnx.toolkit.external import (
    SOURCE_RECORD,
    LabelledData,
    ModelFile,
    inspect_onnx,
    is_model_file,
    load_npz,
    mnist_inputs,
    mnist_layout,
    random_inputs,
    resolve_shapes,
)
from mnx.toolkit.options import Backend, Precision
from mnx.toolkit.runners.base import Runner

EVAL_BATCH = 256
ADOPTED_FILES = {
    Precision.FP32: "model.fp32.onnx",
    Precision.FP16: "model.fp16.onnx",
    Precision.INT8: "model.int8.u8.onnx",  # the uint8 encoding ORT's CPU kernels run fast
}


@dataclass(frozen=True)
class FileSource:
    """One model file to bench, checked against the request before any timing."""

    info: ModelFile
    shapes: dict[int, dict[str, tuple[int, ...]] | str]  # batch size -> shapes or skip reason
    npz: LabelledData | None  # --data
    per_image: tuple[int, ...] | None  # MNIST labels it (no --data): its per-image input shape
    inputs_note: str


def file_sources(name: str, root: Path, config: BenchConfig) -> list[FileSource] | None:
    """The sources a bench name stands for: a model file path, or a name exported from a Keras
    file (`mnx export my.keras` -> root/my/source.json: its ONNX files per precision); None when
    the name is a registered network."""
    if is_model_file(name):
        return [_source(Path(name), config)]
    found = adopted_files(root / name, config.precisions)
    return [_source(f, config) for f in found] if found else None


def is_file_name(name: str, root: Path) -> bool:
    """A bench name that is a file-path source (checked by name only, before any file is read)."""
    return is_model_file(name) or (root / name / SOURCE_RECORD).is_file()


def adopted_names(root: Path) -> list[str]:
    """Folders under `root` made by `mnx export FILE.keras` that hold an FP32 ONNX file, sorted."""
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if adopted_files(d, (Precision.FP32,)))


def adopted_files(net_dir: Path, precisions: Sequence[Precision]) -> list[Path]:
    """The ONNX files `mnx export FILE.keras` made in `net_dir`, per precision; StaleArtifactError
    when the store does not trust one (benched by name only as mnx wrote and checked it)."""
    from mnx.bench.variants import store_skip

    if not (net_dir / SOURCE_RECORD).is_file():
        return []
    found = []
    for p in precisions:
        path = net_dir / ADOPTED_FILES.get(p, "")
        if p not in ADOPTED_FILES or not path.is_file():
            continue  # bf16: an OpenVINO hint on a registry network's FP32 file, not a file
        skip = store_skip(net_dir.name, net_dir, path.name, p)
        if skip is not None:
            raise StaleArtifactError(
                f"'{net_dir.name}': {skip.what}",
                expected="ONNX files as `mnx export` wrote and checked them",
                fix=f"{skip.fix} (or bench the file by its path to take it as is)",
            )
        found.append(path)
    return found


def _source(p: Path, config: BenchConfig) -> FileSource:
    """Everything about one file that can fail on user input, checked before any timing."""
    if p.suffix.lower() == ".keras":
        raise UsageError(
            f"'{p}' is a Keras model; bench takes ONNX files (and registered names)",
            expected="a .onnx file",
            fix=f"export it first: `mnx export {p}`, then `mnx bench {p.stem}`",
        )
    info = inspect_onnx(p)
    if not info.inputs or not info.outputs:
        raise UsageError(
            f"'{p}' has {len(info.inputs)} inputs and {len(info.outputs)} outputs",
            expected="a model with at least one input and one output",
            fix="bench a complete inference graph",
        )
    shapes = {b: resolve_shapes(info, dict(config.shapes), b) for b in config.batch_sizes}
    npz = _npz(info, Path(config.data_path), config.eval_limit) if config.data_path else None
    per_image = mnist_layout(info) if npz is None else None
    if npz is not None:
        inputs = f"inputs: --data {npz.source}"
    elif per_image is not None:
        inputs = f"inputs: MNIST test set, preprocess {config.preprocess.value}"
    else:
        inputs = (
            f"inputs: random (seed {config.seed}; floats in [0,1), integers in {{0,1}}); "
            "no labelled data"
        )
    note = f"{p} (sha256 {info.sha256[:12]}); {inputs}"
    return FileSource(info, shapes, npz, per_image, note)


def _npz(info: ModelFile, path: Path, limit: int | None) -> LabelledData:
    data = load_npz(path)
    if len(info.inputs) != 1:
        raise DataError(
            f"--data feeds one array, but '{info.path.name}' has {len(info.inputs)} inputs",
            expected="a single-input model",
            fix="drop --data (inputs are then random)",
        )
    inp = info.inputs[0]
    want, got = tuple(inp.dims[1:]), tuple(data.x.shape[1:])
    if len(want) != len(got) or any(
        isinstance(w, int) and w > 0 and w != g for w, g in zip(want, got, strict=False)
    ):
        raise DataError(
            f"--data x has samples of shape {got}; input {inp.name} takes {inp.shape_text()}",
            expected="x shaped (samples, *one input without its batch dimension)",
            fix="reshape x before saving it",
        )
    x = data.x.astype(np.dtype(inp.dtype)) if not inp.dtype.startswith("onnx:") else data.x
    return _cut(LabelledData(x, data.y, data.source, data.sha256), limit)


def _cut(data: LabelledData, limit: int | None) -> LabelledData:
    if limit is None:
        return data
    return LabelledData(data.x[:limit], data.y[:limit], data.source, data.sha256)


def check_file_request(config: BenchConfig, n_files: int) -> None:
    """File options without a file, or files on Keras alone: one message before any work."""
    if not n_files and (config.shapes or config.data_path is not None):
        raise UsageError(
            "--shapes and --data apply to model files, and no model file was given",
            expected="an .onnx path among the names (registered networks have fixed shapes)",
            fix="drop --shapes/--data, or pass the model file",
        )
    if n_files and set(config.backends) <= {Backend.KERAS}:
        raise UsageError(
            "Keras runs .keras models only; ONNX files were given with --backend keras",
            expected="an ONNX backend for the files: " + ", ".join(FILE_BACKENDS),
            fix="pass e.g. --backend ort",
        )


def file_variants(label: str, source: FileSource, config: BenchConfig) -> list[Variant]:
    """One Variant per backend that exists for files: runnable, or skipped with a typed reason."""
    info = source.info
    out = []
    for backend in config.backends:
        got = file_runner(backend, info.path, config.threads)
        if got is None:
            continue  # Keras: like Keras INT8 for a registered network, it does not exist
        precision = Precision(info.precision)
        if isinstance(got, Skip):
            out.append(Variant(label, backend, precision, info.path, None, source.inputs_note, got))
        else:
            out.append(Variant(label, backend, precision, info.path, got, source.inputs_note))
    return out


Advance = Callable[[int, str], None]  # (measurements done, the one starting now)


class FileMeasurer:
    """Measured (or skipped) rows of one file on each of its variants."""

    def __init__(
        self,
        source: FileSource,
        config: BenchConfig,
        harness: HarnessConfig,
        mnist: Callable[[], Any],
        advance: Advance,
    ) -> None:
        self.source, self.info, self.config = source, source.info, config
        self.harness, self.advance, self.mnist = harness, advance, mnist
        self._labelled: LabelledData | None | bool = False
        self.flops = self._flops()

    @property
    def labelled(self) -> LabelledData | None:
        """--data, else the MNIST test set when it labels this file (loaded on first use)."""
        if self._labelled is False:
            self._labelled = self.source.npz
            if self.source.per_image is not None:
                m = self.mnist()
                x = mnist_inputs(m.x_test, self.source.per_image, self.config.preprocess)
                x = x.astype(np.dtype(self.info.inputs[0].dtype))
                y = np.asarray(m.y_test).astype(np.int64)
                data = LabelledData(x, y, "MNIST test set", m.sha256)
                self._labelled = _cut(data, self.config.eval_limit)
        return self._labelled  # type: ignore[return-value]

    def _flops(self) -> int | None:
        from mnx.bench.flops import onnx_flops_per_image

        try:
            return onnx_flops_per_image(self.info.path)
        except Exception:  # a graph FLOPs cannot be counted on is "not measured", not a failure
            return None

    def rows(self, variants: Sequence[Variant]) -> list[BenchRow]:
        out: list[BenchRow] = []
        for v in variants:
            if v.make_runner is None:
                out.append(self._row(v, None, skipped_reason=v.skipped_reason))
            else:
                out.extend(self._variant(v))
        return out

    def _row(self, v: Variant, batch: int | None, **fields: Any) -> BenchRow:
        return BenchRow(
            network=v.network,
            backend=v.backend,
            precision=v.precision,
            batch_size=batch,
            note=v.note,
            model_file=str(self.info.path),
            source_sha256=self.info.sha256,
            params=self.info.params,
            model_bytes=self.info.size_bytes,
            **fields,
        )

    def _feeds(self, shapes: dict[str, tuple[int, ...]]) -> Any:
        """One batch: a plain array for a single-input model (what every runner's `infer`
        takes), a {name: array} dict for several inputs."""
        if self.labelled is None:
            feeds = random_inputs(shapes, self.info, self.config.seed)
            return next(iter(feeds.values())) if len(feeds) == 1 else feeds
        b = next(iter(shapes.values()))[0]
        x = self.labelled.x
        reps = -(-b // len(x))
        xb = np.concatenate([x] * reps)[:b] if reps > 1 else x[:b]
        return np.ascontiguousarray(xb)

    def _accuracy(self, runner: Runner) -> tuple[int | None, float | None]:
        data = self.labelled
        if data is None:
            return None, None
        fixed = self.info.inputs[0].dims[0] if self.info.inputs[0].dims else None
        dynamic = not (isinstance(fixed, int) and fixed > 0)
        step = EVAL_BATCH if dynamic else int(fixed)  # type: ignore[arg-type]
        end = len(data.x) if dynamic else len(data.x) - len(data.x) % step
        top = []
        for i in range(0, end, step):
            out = np.asarray(runner.infer(data.x[i : i + step]))
            if out.ndim != 2:
                return None, None  # not a classifier's (N, classes) output: nothing to score
            top.append(out.argmax(axis=1))
        if not top:
            return None, None
        pred = np.concatenate(top)
        return len(pred), float((pred == data.y[: len(pred)]).mean())

    def _cold(self, v: Variant, runner: Runner) -> dict[str, Any] | Skip:
        """Load + first call timed, then accuracy; a runtime refusing the file is a typed skip."""
        first = next((s for s in self.source.shapes.values() if isinstance(s, dict)), None)
        try:
            t0 = time.perf_counter_ns()
            runner.load()
            t1 = time.perf_counter_ns()
            if first is not None:
                runner.infer(self._feeds(first))
            t2 = time.perf_counter_ns()
            images, accuracy = self._accuracy(runner)
        except MnxError as exc:
            return Skip(SkipKind.LOAD_FAILED, exc.what, exc.fix)
        except Exception as exc:  # the runtime rejects this model's inputs or ops at run time
            detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            return Skip(SkipKind.LOAD_FAILED, f"{v.backend} failed to run it ({detail})")
        return {
            "timed_scope": runner.timed_scope,
            "providers": tuple(runner.providers()),
            "eval_images": images,
            "accuracy": accuracy,
            "flops_per_image": self.flops,
            "load_ms": (t1 - t0) / 1e6,
            "first_inference_ms": (t2 - t1) / 1e6,
            "cold_start_ms": (t2 - t0) / 1e6,
        }

    def _variant(self, v: Variant) -> list[BenchRow]:
        assert v.make_runner is not None
        runner = v.make_runner()
        try:
            common = self._cold(v, runner)
            if isinstance(common, Skip):
                self.advance(len(self.source.shapes), "")
                return [self._row(v, None, skipped_reason=common.render())]
            rows = []
            for b, shapes in self.source.shapes.items():
                self.advance(0, f"{v.network} {v.backend} {v.precision} batch {b}")
                if isinstance(shapes, str):
                    rows.append(self._row(v, b, skipped_reason=shapes))
                else:
                    rows.append(self._batch_row(v, runner, b, shapes, common))
                self.advance(1, "")
            return rows
        finally:
            runner.close()

    def _batch_row(
        self,
        v: Variant,
        runner: Runner,
        b: int,
        shapes: dict[str, tuple[int, ...]],
        common: dict[str, Any],
    ) -> BenchRow:
        fields, warns = timed_fields(
            runner, self._feeds(shapes), b, self.harness, list(common["providers"]), self.flops
        )
        return self._row(v, b, **common, **fields, warnings=tuple(warns))
