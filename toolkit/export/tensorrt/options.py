"""How to build TensorRT engines: `EngineOptions`, the build routes and calibrators."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from mnx.errors import UnknownNameError, UsageError
from mnx.toolkit.options import FILE_PRECISIONS, Calibrator, Route

# The choices are defined once, in toolkit.options (route: where an engine's precision comes
# from, docs/tensorrt/notes.md; calibrator: the legacy INT8 calibrator of the builder-flags route).
PRECISIONS = tuple(p.value for p in FILE_PRECISIONS)


STRONGLY_TYPED = Route.STRONGLY_TYPED
BUILDER_FLAGS = Route.BUILDER_FLAGS
ROUTES = tuple(r.value for r in Route)
CALIBRATORS = tuple(c.value for c in Calibrator)


def _parse(kind: str, enum: type[Enum], value: Any) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise UnknownNameError(kind, str(value), tuple(e.value for e in enum)) from None


@dataclass(frozen=True)
class EngineOptions:
    """How to build engines. Built once (by the CLI or a caller) and passed down as is.

    The batch profile defaults to 1 / 32 / 256: the benchmark sweeps batch 1..256, TensorRT
    tunes its kernels for `opt_batch` and accepts anything in [min_batch, max_batch].
    """

    precisions: tuple[str, ...] = PRECISIONS
    min_batch: int = 1
    opt_batch: int = 32
    max_batch: int = 256
    workspace_mib: int = 1024
    route: Route = Route.STRONGLY_TYPED
    timing_cache: Path | None = None  # None = <root>/tensorrt/<gpu>/trt-<version>/timing.cache
    use_timing_cache: bool = True
    calibrator: Calibrator = Calibrator.ENTROPY  # builder-flags int8 only
    calibration_images: int = 512  # builder-flags int8 only, from the training set
    calibration_batch: int = 64
    rebuild: bool = False  # rebuild even when the recorded engine is current

    def __post_init__(self) -> None:
        for p in self.precisions:
            if p not in PRECISIONS:
                raise UnknownNameError("precision", p, PRECISIONS)
        object.__setattr__(self, "route", _parse("TensorRT build route", Route, self.route))
        object.__setattr__(self, "calibrator", _parse("calibrator", Calibrator, self.calibrator))
        if not 1 <= self.min_batch <= self.opt_batch <= self.max_batch:
            raise UsageError(
                f"Bad batch profile min={self.min_batch} opt={self.opt_batch} max={self.max_batch}",
                expected="1 <= min_batch <= opt_batch <= max_batch",
                fix="e.g. --min-batch 1 --opt-batch 32 --max-batch 256",
            )
        if self.workspace_mib < 1:
            raise UsageError(
                f"Bad workspace size {self.workspace_mib} MiB", expected="a positive number of MiB"
            )
        if self.calibration_images < 1 or self.calibration_batch < 1:
            raise UsageError("Bad calibration size", expected="positive image and batch counts")

    def build_options(self, precision: str) -> dict[str, Any]:
        """What goes into the manifest: everything that changes the engine's bytes."""
        out: dict[str, Any] = {
            "precision": precision,
            "route": self.route.value,
            "min_batch": self.min_batch,
            "opt_batch": self.opt_batch,
            "max_batch": self.max_batch,
            "workspace_mib": self.workspace_mib,
        }
        if self.route is Route.BUILDER_FLAGS and precision == "int8":
            out.update(
                calibrator=self.calibrator.value,
                calibration_images=self.calibration_images,
                calibration_batch=self.calibration_batch,
            )
        return out
