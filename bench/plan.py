"""Plan a benchmark before measuring anything: which network directories and model files,
which variants run here, which are skipped and why (typed `Skip`s), and the errors that must stop
the run first: an unknown or untrained network, a bad model file or file option, a backend the
user named that cannot run here, nothing to run.

A name is a registered network, or a file-path source (bench.external: an ONNX file, or a name
exported from a Keras file), whose variants come from bench.file_backends.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnx.bench.records import BenchConfig
from mnx.bench.variants import Request, Skip, SkipKind, Variant, resolve
from mnx.errors import MissingArtifactError, MissingDependencyError, UsageError
from mnx.toolkit.options import Backend, Precision
from mnx.toolkit.runners.trt import TrtTiming

if TYPE_CHECKING:
    from mnx.bench.external import FileSource


@dataclass(frozen=True)
class Target:
    """One network to bench: its name, its artifacts directory and its registry entry; or one
    model file (`source` set, `arch` None): its label and folder."""

    name: str
    net_dir: Path
    arch: Any  # architectures.Architecture: layout and preprocessing of its test images
    source: FileSource | None = None


@dataclass(frozen=True)
class BenchPlan:
    config: BenchConfig
    targets: tuple[Target, ...]
    variants: tuple[Variant, ...]

    def runnable(self) -> list[Variant]:
        return [v for v in self.variants if v.make_runner is not None]

    def of(self, target: Target) -> list[Variant]:
        path = target.source.info.path if target.source else None
        return [
            v
            for v in self.variants
            if v.network == target.name and (path is None or v.model_file == path)
        ]


def make_plan(config: BenchConfig, root: Path) -> BenchPlan:
    """Resolve every combination; raise before any work when the request cannot be met."""
    from mnx.bench.external import check_file_request, is_file_name

    check_file_request(config, sum(is_file_name(n, root) for n in config.networks))
    targets = _distinct([t for name in config.networks for t in _target(name, root, config)])
    files = [t for t in targets if t.source is not None]
    if len(files) < len(targets):
        check_named_backends(config)
    per_target = [_variants(config, t) for t in targets]
    _check_named_file_backends(
        config, [v for t, vs in zip(targets, per_target, strict=True) if t.source for v in vs]
    )
    variants = tuple(v for vs in per_target for v in vs)
    if not variants:
        raise UsageError(
            "No combination to run: Keras runs the FP32 model only",
            expected="--precision fp32 with --backend keras, or an ONNX/TensorRT backend",
            fix="add fp32 to --precision or another --backend",
        )
    plan = BenchPlan(config, targets, variants)
    if not plan.runnable():
        _nothing_runnable(plan)
    return plan


def _target(name: str, root: Path, config: BenchConfig) -> list[Target]:
    """The file-path sources a name stands for, else the registered network under `root`
    (unknown names fail before any work)."""
    from mnx import architectures
    from mnx.bench.external import file_sources

    sources = file_sources(name, root, config)
    if sources is not None:
        return [Target(s.info.label, s.info.path.parent, None, s) for s in sources]

    arch = architectures.get(name)
    net_dir = root / arch.name
    if not (net_dir / "model.keras").is_file():
        raise MissingArtifactError(
            f"'{arch.name}' is not trained: no model.keras in '{net_dir}'",
            expected="a trained network (model.keras) under the artifacts directory",
            fix=f"run `mnx train {arch.name}` (or `mnx pipeline {arch.name} --quick`)",
        )
    return [Target(arch.name, net_dir, arch)]


def _distinct(targets: list[Target]) -> tuple[Target, ...]:
    """Two sources under one row key (files with one stem, or a file named like a network) are
    told apart by their sha256: `net@1a2b3c4d`."""
    keys = Counter((t.name, t.source.info.precision if t.source else None) for t in targets)
    names = Counter(t.name for t in targets if t.source is None)
    out = []
    for t in targets:
        s = t.source
        if s is not None and (keys[(t.name, s.info.precision)] > 1 or names[t.name]):
            label = f"{t.name}@{s.info.sha256[:8]}"
            s = dataclasses.replace(s, info=dataclasses.replace(s.info, name=label))
            t = dataclasses.replace(t, name=label, source=s)
        out.append(t)
    return tuple(out)


def _variants(config: BenchConfig, t: Target) -> list[Variant]:
    if t.source is not None:
        from mnx.bench.external import file_variants

        return file_variants(t.name, t.source, config)
    return [
        v
        for b in config.backends
        for p in config.precisions
        if (v := resolve(_request(config, t, b, p))) is not None
    ]


def _request(config: BenchConfig, t: Target, backend: Any, precision: Any) -> Request:
    return Request(
        t.name,
        backend,
        precision,
        t.net_dir,
        config.threads,
        config.keras_mode,
        TrtTiming(cuda_graph=config.cuda_graph, include_transfers=config.include_transfers),
    )


def check_named_backends(config: BenchConfig) -> None:
    """A backend the user named that cannot run on this machine is an error, found before any
    work: whether a backend runs here (package, GPU) does not depend on a network's files, so
    a probe combination answers it."""
    if not config.backends_named:
        return
    for backend in config.backends:
        probe = resolve(Request("(probe)", backend, Precision.FP32, Path(os.devnull)))
        skip = probe.skip if probe is not None else None
        if skip is not None and skip.kind is SkipKind.UNAVAILABLE:
            raise _cannot_run(backend, skip)


def _check_named_file_backends(config: BenchConfig, variants: list[Variant]) -> None:
    """Model files follow the same rule: a named backend that cannot run a file here (no
    runtime, no GPU, no file runner) is an error; with the default set it is a skipped row."""
    if not config.backends_named:
        return
    for v in variants:
        if v.skip is not None and v.skip.kind is SkipKind.UNAVAILABLE:
            raise _cannot_run(v.backend, v.skip, f" for model file {v.network}")


def _cannot_run(backend: Backend, skip: Skip, scope: str = "") -> MissingDependencyError:
    return MissingDependencyError(
        f"Backend '{backend}' cannot run{scope} on this machine: {skip.what}",
        expected=skip.expected or f"what the {backend} backend needs installed",
        fix=f"{skip.fix}, or drop {backend} from --backend" if skip.fix else None,
    )


def _nothing_runnable(plan: BenchPlan) -> None:
    """Nothing can run: name the first fix (an export before an install)."""
    skips = [(v, v.skip) for v in plan.variants if v.skip is not None]
    v, skip = next(((v, s) for v, s in skips if s.fixable_by_export), skips[0])
    err = MissingArtifactError if skip.fixable_by_export else MissingDependencyError
    raise err(
        f"Nothing to benchmark: {v.network} {v.backend} {v.precision} is {skip.what}",
        expected="exported ONNX models (or TensorRT engines) for the requested variants, on a "
        "machine whose backends can run them",
        fix=_strip_run(skip),
    )


def _strip_run(skip: Skip) -> str | None:
    return skip.fix[4:] if skip.fix and skip.fix.startswith("run ") else skip.fix
