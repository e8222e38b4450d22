"""Plan a benchmark before measuring anything: which network directories, which variants run
here, which are skipped and why (typed `Skip`s), and the errors that must stop the run first:
an unknown or untrained network, a backend the user named that cannot run here, nothing to run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnx.bench.records import BenchConfig
from mnx.bench.variants import Request, Skip, SkipKind, Variant, resolve
from mnx.errors import MissingArtifactError, MissingDependencyError, UsageError
from mnx.toolkit.options import Precision
from mnx.toolkit.runners.trt import TrtTiming


@dataclass(frozen=True)
class Target:
    """One network to bench: its name, its artifacts directory and its registry entry."""

    name: str
    net_dir: Path
    arch: Any  # architectures.Architecture: layout and preprocessing of its test images


@dataclass(frozen=True)
class BenchPlan:
    config: BenchConfig
    targets: tuple[Target, ...]
    variants: tuple[Variant, ...]

    def runnable(self) -> list[Variant]:
        return [v for v in self.variants if v.make_runner is not None]

    def of(self, target: Target) -> list[Variant]:
        return [v for v in self.variants if v.network == target.name]


def make_plan(config: BenchConfig, root: Path) -> BenchPlan:
    """Resolve every combination; raise before any work when the request cannot be met."""
    targets = tuple(_target(name, root) for name in config.networks)
    check_named_backends(config)
    variants = tuple(
        v
        for t in targets
        for b in config.backends
        for p in config.precisions
        if (v := resolve(_request(config, t, b, p))) is not None
    )
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


def _target(name: str, root: Path) -> Target:
    """A registered network under `root` (unknown names fail before any work)."""
    from mnx import architectures

    arch = architectures.get(name)
    net_dir = root / arch.name
    if not (net_dir / "model.keras").is_file():
        raise MissingArtifactError(
            f"'{arch.name}' is not trained: no model.keras in '{net_dir}'",
            expected="a trained network (model.keras) under the artifacts directory",
            fix=f"run `mnx train {arch.name}` (or `mnx pipeline {arch.name} --quick`)",
        )
    return Target(arch.name, net_dir, arch)


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
            raise MissingDependencyError(
                f"Backend '{backend}' cannot run on this machine: {skip.what}",
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
