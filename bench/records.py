"""Typed, frozen benchmark records with units in field names, provenance and a JSON round-trip.

`None` means "not measured" (never -1). A combination that cannot run here is a row with
`skipped_reason` set and every measurement None. A results file carries `schema_version`;
loading a file of another version is refused with a message instead of misread.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mnx.bench.harness import MAX_ITERATIONS
from mnx.errors import ConfigError, CorruptArtifactError, MissingArtifactError
from mnx.toolkit.doctor import MachineReport
from mnx.toolkit.options import (
    DEFAULT_BACKENDS,
    Backend,
    KerasMode,
    Precision,
    Preprocess,
    check_range,
    parse_many,
    parse_one,
)

SCHEMA_VERSION = 1
KIND = "mnx.bench.results"
DEFAULT_BATCH_SIZES = (1, 32, 256)


@dataclass(frozen=True)
class BenchRow:
    """One network x backend x precision x batch size. Latencies are per `infer` call (one batch);
    `timed_scope` says what a call includes."""

    network: str
    backend: str
    precision: str
    batch_size: int | None  # None on a skipped row that stands for every requested batch size
    skipped_reason: str | None = None
    note: str | None = None
    #: the network's training fell short of its recipe (train.json's `partial`, e.g. "1 of 20
    #: epochs, 2,000 training images"): its accuracy is not the recipe's
    partial_training: str | None = None
    model_file: str | None = None
    source_sha256: str | None = None  # a user's model file: its identity (changed = new model)
    timed_scope: str | None = None
    providers: tuple[str, ...] = ()
    # accuracy on the test set, and against the Keras FP32 reference
    eval_images: int | None = None
    accuracy: float | None = None
    reference_accuracy: float | None = None  # Keras FP32's on the same images (for Δ pp)
    agreement: float | None = None
    max_abs_diff: float | None = None
    # latency of one call (one batch), host clock
    iterations: int | None = None
    warmup_iterations: int | None = None
    min_ms: float | None = None
    mean_ms: float | None = None
    std_ms: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    p999_ms: float | None = None
    max_ms: float | None = None
    cov: float | None = None  # of the calls
    p50_cov: float | None = None  # of the p50 of 10 consecutive windows (stability)
    # GPU runners: mean CUDA-event times per call, copies apart from compute
    h2d_ms: float | None = None
    compute_ms: float | None = None
    d2h_ms: float | None = None
    # throughput (one call in flight)
    inferences_per_s: float | None = None
    images_per_s: float | None = None
    # size and work
    params: int | None = None
    model_bytes: int | None = None
    flops_per_image: int | None = None
    gflop_per_s: float | None = None
    # cold start: a fresh runner's load + first batch-1 inference
    load_ms: float | None = None
    first_inference_ms: float | None = None
    cold_start_ms: float | None = None
    warnings: tuple[str, ...] = ()
    # compiling engines (OpenVINO): conv/gemm layers per executed precision, read from the
    # compiled graph, e.g. "int8 5/5 conv+gemm"
    executed_precision: str | None = None

    @property
    def key(self) -> tuple[str, str, str, int | None]:
        return (self.network, self.backend, self.precision, self.batch_size)

    @property
    def skipped(self) -> bool:
        return self.skipped_reason is not None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["providers"] = list(self.providers)
        d["warnings"] = list(self.warnings)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BenchRow:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown row fields: {', '.join(sorted(unknown))}")
        d = dict(d)
        d["providers"] = tuple(d.get("providers") or ())
        d["warnings"] = tuple(d.get("warnings") or ())
        return cls(**d)


@dataclass(frozen=True)
class Provenance:
    """Where and with what a results file was measured."""

    created_utc: str
    mnx_version: str
    versions: dict[str, str]
    cpu: str | None
    gpu: str | None
    threads: int | None  # None = each runtime's default
    providers: tuple[str, ...]  # providers actually used by ONNX Runtime sessions, in order seen
    git_commit: str | None
    platform: str | None = None
    # `mnx doctor --cheap`: CPU INT8 features, GPU/driver/CUDA, TensorRT, ORT providers, ...
    machine: MachineReport | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["providers"] = list(self.providers)
        d["machine"] = None if self.machine is None else self.machine.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Provenance:
        d = dict(d)
        d["providers"] = tuple(d.get("providers") or ())
        machine = d.get("machine")
        d["machine"] = None if machine is None else MachineReport.from_dict(machine)
        return cls(**d)


@dataclass(frozen=True)
class BenchConfig:
    """What was asked for, validated in this one place (ConfigError, exit 2, with the range).

    Exactly one of `duration_s` / `iterations` bounds each timed loop. `backends_named` is True
    when the user named the backends: one that cannot run here is then an error, while the
    default set skips what this machine lacks (with the reason in the table)."""

    networks: tuple[str, ...]
    backends: tuple[Backend, ...] = DEFAULT_BACKENDS
    precisions: tuple[Precision, ...] = tuple(Precision)
    batch_sizes: tuple[int, ...] = DEFAULT_BATCH_SIZES
    duration_s: float | None = 2.0
    iterations: int | None = None
    warmup_iterations: int = 0
    warmup_s: float = 0.2
    threads: int | None = None  # None = each runtime's default
    eval_limit: int | None = None  # None = the whole test set
    keras_mode: KerasMode = KerasMode.PREDICT_ON_BATCH
    backends_named: bool = False
    # TensorRT timing scope; the defaults are trtexec 10's (trtexec 11: graph on, transfers out)
    cuda_graph: bool = False
    include_transfers: bool = True
    # model files (`mnx bench FILE.onnx`, bench.external): --shapes, --preprocess, --data, --seed
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    preprocess: Preprocess = Preprocess.DIV255
    data_path: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.networks:
            raise ConfigError(
                "No network given",
                expected="one or more network names, or --all",
                fix="e.g. `mnx bench linear` (see `mnx list`)",
            )
        hint = "pass a comma-separated list, e.g. --backend keras,ort"
        setf = object.__setattr__
        setf(self, "networks", tuple(dict.fromkeys(self.networks)))
        setf(self, "backends", parse_many(Backend, self.backends, hint=hint))
        setf(
            self, "precisions", parse_many(Precision, self.precisions, hint="e.g. --precision fp32")
        )
        setf(self, "keras_mode", parse_one(KerasMode, self.keras_mode, hint="pass --keras-mode"))
        setf(self, "batch_sizes", _batch_sizes(self.batch_sizes))
        setf(self, "preprocess", parse_one(Preprocess, self.preprocess, hint=_PREPROCESS_HINT))
        # JSON gives lists: [["a", [1, 16]]] -> (("a", (1, 16)),)
        setf(self, "shapes", tuple((str(n), tuple(int(d) for d in s)) for n, s in self.shapes))
        if (self.duration_s is None) == (self.iterations is None):
            raise ConfigError(
                "Give exactly one of a duration and an iteration count",
                expected="--duration SECONDS or --iterations N, not both",
                fix="drop one of --duration and --iterations",
            )
        for what, value, lo, hi, unit, example in _RANGES:
            check_range(what, getattr(self, value), lo, hi, unit=unit, fix=f"pass e.g. {example}")

    def to_dict(self) -> dict[str, Any]:
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BenchConfig:
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**fields)


MAX_BATCH = 65536
MAX_THREADS = 256  # intra-op threads past any core count here only add contention (and memory)
MAX_DURATION_S = 3600.0
MAX_WARMUP_ITERATIONS = 100_000
MAX_WARMUP_S = 60.0
MAX_EVAL_IMAGES = 10_000  # the MNIST test set
MAX_SEED = 2**32 - 1  # numpy's SeedSequence takes any non-negative int; 32 bits is plenty

# (what, field, lowest, highest, unit, example): every numeric bench option's range, one table.
_RANGES: tuple[tuple[str, str, float, float, str, str], ...] = (
    ("Duration", "duration_s", 0.01, MAX_DURATION_S, "s", "--duration 2"),
    ("Iterations", "iterations", 1, MAX_ITERATIONS, "", "--iterations 200"),
    ("Warm-up count", "warmup_iterations", 0, MAX_WARMUP_ITERATIONS, "", "--warmup 10"),
    ("Warm-up time", "warmup_s", 0, MAX_WARMUP_S, "s", "--warmup 0.2s"),
    ("Threads", "threads", 1, MAX_THREADS, "", "--threads 2 (or leave it out)"),
    ("Evaluation limit", "eval_limit", 1, MAX_EVAL_IMAGES, "images", "--limit 1000"),
    ("Seed", "seed", 0, MAX_SEED, "", "--seed 0"),
)
_PREPROCESS_HINT = "pass --preprocess /255 (the default), normalize or none"


def _batch_sizes(values: Any) -> tuple[int, ...]:
    out: list[int] = []
    for b in values:
        if isinstance(b, bool) or not isinstance(b, int):
            raise ConfigError(
                f"Batch size {b!r} is not a whole number",
                expected=f"whole numbers from 1 to {MAX_BATCH}",
                fix="pass e.g. --batch-sizes 1,32,256",
            )
        check_range("Batch size", b, 1, MAX_BATCH, fix="pass e.g. --batch-sizes 1,32,256")
        if b not in out:
            out.append(b)
    if not out:
        raise ConfigError(
            "No batch size given", expected="e.g. 1,32,256", fix="pass --batch-sizes 1,32,256"
        )
    return tuple(out)


@dataclass(frozen=True)
class BenchResults:
    """A results file: provenance, the request, and one row per combination."""

    provenance: Provenance
    config: BenchConfig
    rows: tuple[BenchRow, ...]
    schema_version: int = SCHEMA_VERSION
    notes: tuple[str, ...] = field(default=())

    def measured(self) -> list[BenchRow]:
        return [r for r in self.rows if not r.skipped]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "schema_version": self.schema_version,
            "provenance": self.provenance.to_dict(),
            "config": self.config.to_dict(),
            "notes": list(self.notes),
            "rows": [r.to_dict() for r in self.rows],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, default=_nan_safe) + "\n"

    @classmethod
    def from_dict(cls, d: Any, source: str = "results") -> BenchResults:
        if not isinstance(d, dict) or d.get("kind") != KIND:
            raise CorruptArtifactError(
                f"'{source}' is not an mnx bench results file",
                expected=f'a JSON object with "kind": "{KIND}" written by `mnx bench`',
                fix="pass a file from artifacts/bench/ (or run `mnx bench` to make one)",
            )
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise CorruptArtifactError(
                f"'{source}' has results schema version {version!r}, this mnx reads version "
                f"{SCHEMA_VERSION}",
                expected=f"a results file written by an mnx with schema version {SCHEMA_VERSION}",
                fix="re-run `mnx bench` with this mnx to produce a compatible file",
            )
        try:
            return cls(
                provenance=Provenance.from_dict(d["provenance"]),
                config=BenchConfig.from_dict(d["config"]),
                rows=tuple(BenchRow.from_dict(r) for r in d["rows"]),
                schema_version=version,
                notes=tuple(d.get("notes") or ()),
            )
        except (KeyError, TypeError, ValueError, ConfigError) as exc:
            raise CorruptArtifactError(
                f"'{source}' is damaged ({type(exc).__name__}: {exc})",
                expected="a complete results file written by `mnx bench`",
                fix="re-run `mnx bench` to produce it again",
            ) from exc

    @classmethod
    def load(cls, path: Path) -> BenchResults:
        """Read a results file; clear errors for a missing, foreign or incompatible one."""
        from mnx.toolkit.artifacts import read_json

        if not path.is_file():
            raise MissingArtifactError(
                f"Results file '{path}' does not exist",
                expected="a JSON file written by `mnx bench` (artifacts/bench/*.json)",
                fix="run `mnx bench NAME` first, or pass the path of an existing results file",
            )
        return cls.from_dict(read_json(path), source=str(path))


def _nan_safe(obj: Any) -> Any:
    return str(obj)


def clean_float(value: float | None) -> float | None:
    """NaN/inf are 'not measured' in JSON terms."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return float(value)
