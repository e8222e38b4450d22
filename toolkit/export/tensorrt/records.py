"""Where engines live and whether one may be used here.

An engine only runs on the GPU model and TensorRT version that built it:

    <root>/<name>/engines/<gpu-slug>/trt-<version>/model.<precision>[.builder-flags].engine
    <root>/tensorrt/<gpu-slug>/trt-<version>/timing.cache   (shared by every network's builds)

Each engine has a manifest record (toolkit.artifacts) with the GPU name and compute capability,
the TensorRT version, the source ONNX file and its sha256, and the build options. `build_engines`
rebuilds an engine whose record no longer matches; `check_engine` (used by TrtRunner) refuses it
with StaleArtifactError. An engine is never used silently. A build that failed leaves
`<engine>.error.txt` with TensorRT's error text, so the benchmark can say why it has no engine.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mnx.errors import StaleArtifactError
from mnx.toolkit.artifacts import artifact_record, sha256_file
from mnx.toolkit.export.tensorrt.options import Route
from mnx.toolkit.gpu import GpuInfo

ENGINES_DIR = "engines"


@dataclass(frozen=True)
class EngineRecord:
    """One engine on disk and what it was built from; or, with `error`, one that failed."""

    network: str
    precision: str
    route: str
    engine_path: Path
    onnx_path: Path
    onnx_sha256: str | None
    gpu_name: str
    compute_capability: str
    tensorrt_version: str
    min_batch: int
    opt_batch: int
    max_batch: int
    engine_bytes: int | None  # None when the build failed
    build_s: float | None  # None when an existing engine was reused, or the build failed
    reused: bool
    timing_cache_path: Path | None
    rebuilt_because: str | None = None  # why a recorded engine was rebuilt
    error: str | None = None  # TensorRT's error text when this build failed

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}

    def __str__(self) -> str:
        if self.error is not None:
            return f"{self.network} {self.precision}: FAILED: {self.error}"
        how = "reused" if self.reused else f"built in {self.build_s:.1f} s"
        return f"{self.network} {self.precision} ({self.route}): {self.engine_path} ({how})"


def engine_dir(net_dir: Path, gpu: GpuInfo, trt_version: str) -> Path:
    return net_dir / ENGINES_DIR / gpu.slug / f"trt-{trt_version}"


def engine_filename(precision: str, route: Route | str) -> str:
    route = Route(route)
    if route is Route.STRONGLY_TYPED:
        return f"model.{precision}.engine"
    return f"model.{precision}.{route.value}.engine"


def failure_note(engine_path: Path) -> Path:
    return engine_path.with_name(engine_path.name + ".error.txt")


def default_timing_cache(root: Path, gpu: GpuInfo, trt_version: str) -> Path:
    return root / "tensorrt" / gpu.slug / f"trt-{trt_version}" / "timing.cache"


def source_onnx(net_dir: Path, precision: str, route: Route | str) -> Path:
    """The ONNX model an engine of `precision` is built from on `route`."""
    if Route(route) is Route.BUILDER_FLAGS:
        return net_dir / "model.fp32.onnx"  # precision comes from the builder flags
    return net_dir / f"model.{precision}.onnx"


def _net_dir_of(engine_path: Path) -> Path | None:
    for parent in engine_path.parents:
        if parent.name == ENGINES_DIR:
            return parent.parent
    return None


def engine_staleness(
    engine_path: Path, gpu: GpuInfo, trt_version: str, options: dict[str, Any] | None = None
) -> str | None:
    """Why the engine at `engine_path` must not be used here; None when it is current."""
    net_dir = _net_dir_of(engine_path)
    if not engine_path.exists():
        note = failure_note(engine_path)
        if note.is_file():
            return f"its last build failed: {note.read_text().strip()}"
        return "it does not exist"
    if net_dir is None:
        return f"it is not under a '<network>/{ENGINES_DIR}/' directory, so it has no record"
    key = engine_path.relative_to(net_dir).as_posix()
    rec = artifact_record(net_dir, key)
    if rec is None:
        return "it has no manifest record"
    if rec.get("sha256") != sha256_file(engine_path):
        return "the engine file changed since it was built"
    built = rec.get("tensorrt", {})
    if (
        built.get("gpu_name") != gpu.name
        or built.get("compute_capability") != gpu.compute_capability
    ):
        return (
            f"it was built for {built.get('gpu_name')} (sm {built.get('compute_capability')}),"
            f" this is {gpu.name} (sm {gpu.compute_capability})"
        )
    if built.get("tensorrt_version") != trt_version:
        return f"it was built by TensorRT {built.get('tensorrt_version')}, this is {trt_version}"
    src = rec.get("source") or {}
    onnx = net_dir / str(src.get("file", ""))
    if not src or not onnx.is_file():
        return f"its source ONNX model '{src.get('file')}' is gone"
    if src.get("sha256") != sha256_file(onnx):
        return f"'{onnx.name}' changed since the engine was built"
    if options is not None and rec.get("options") != json.loads(json.dumps(options)):
        return "it was built with other options"
    return None


def check_engine(engine_path: Path, gpu: GpuInfo, trt_version: str) -> dict[str, Any]:
    """Return the engine's manifest record, or raise StaleArtifactError saying why not."""
    reason = engine_staleness(engine_path, gpu, trt_version)
    if reason is not None:
        raise StaleArtifactError(
            f"Refusing TensorRT engine '{engine_path}': {reason}",
            expected=f"an engine built on this GPU ({gpu.name}) by TensorRT {trt_version} from "
            "the current ONNX model",
            fix="rebuild it: `mnx export <name> --trt`",
        )
    net_dir = _net_dir_of(engine_path) or engine_path.parent  # found: staleness checked it
    return artifact_record(net_dir, engine_path.relative_to(net_dir).as_posix()) or {}
