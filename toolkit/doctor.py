"""What this machine has and what mnx can do on it: `doctor()` -> MachineReport.

Each item is a `Check`: usable or not, what was found, and the fix when it is missing. The same
record goes into every results file's provenance (bench/records.py), taken with `cheap=True`:
no TensorFlow, Keras or OpenVINO import just for it (their versions come from package metadata,
TensorFlow's own version only when it is already loaded), so provenance costs milliseconds.

CPU features listed are the ones INT8 inference speed depends on (ONNX Runtime / OpenVINO x86
kernels): AVX2 (u8s8 via vpmaddubsw, saturating int16 pair sums), AVX-512 (wider), VNNI
(AVX512_VNNI / AVX_VNNI: exact int32 dot products), AMX (AMX-INT8 / AMX-BF16 tiles) and
AVX-512 BF16.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata, util
from pathlib import Path
from typing import Any

# /proc/cpuinfo flag -> the name Intel/AMD documentation uses
ISA_FLAGS = {
    "avx2": "AVX2",
    "avx512f": "AVX-512F",
    "avx512bw": "AVX-512BW",
    "avx512_vnni": "AVX-512 VNNI",
    "avx_vnni": "AVX-VNNI",
    "avx512_bf16": "AVX-512 BF16",
    "amx_int8": "AMX-INT8",
    "amx_bf16": "AMX-BF16",
}


@dataclass(frozen=True)
class Check:
    """One thing mnx may use: usable, what was found, how to fix it when it is not."""

    name: str
    usable: bool
    found: str
    fix: str | None = None

    def line(self) -> str:
        state = "usable" if self.usable else "missing"
        tail = f": {self.fix}" if self.fix and not self.usable else ""
        return f"{self.name:<22} {state:<8} {self.found}{tail}"


@dataclass(frozen=True)
class MachineReport:
    """`mnx doctor`'s findings; JSON round-trips through to_dict / from_dict."""

    cpu_model: str | None
    logical_cores: int | None
    isa: tuple[str, ...]  # INT8-relevant CPU features present (ISA_FLAGS names)
    checks: tuple[Check, ...] = field(default=())

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["isa"] = list(self.isa)
        d["checks"] = [asdict(c) for c in self.checks]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MachineReport:
        return cls(
            cpu_model=d.get("cpu_model"),
            logical_cores=d.get("logical_cores"),
            isa=tuple(d.get("isa") or ()),
            checks=tuple(Check(**c) for c in d.get("checks") or ()),
        )

    def render(self) -> str:
        head = [
            f"CPU                    {self.cpu_model or 'unknown'} ({self.logical_cores} logical cores)",
            f"INT8 CPU features      {', '.join(self.isa) or 'none of ' + ', '.join(ISA_FLAGS.values())}",
        ]
        return "\n".join(head + [c.line() for c in self.checks])


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str | None, set[str]]:
    """(model name, flags) from /proc/cpuinfo; (None, empty) where it does not exist."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        import platform

        return platform.processor() or None, set()
    model: str | None = None
    flags: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and model is None:
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    return model, flags


def isa_features(flags: set[str]) -> tuple[str, ...]:
    return tuple(name for flag, name in ISA_FLAGS.items() if flag in flags)


def _importable(module: str) -> bool:
    """Whether `module` can be imported, without importing it."""
    try:
        return util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a None placeholder in sys.modules
        return False


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def doctor(*, cheap: bool = False, cpuinfo: Path = Path("/proc/cpuinfo")) -> MachineReport:
    """Everything mnx can use here. `cheap`: no OpenVINO device probe and no TensorFlow import."""
    model, flags = cpu_flags(cpuinfo)
    isa = isa_features(flags)
    checks = [
        _int8_cpu_check(isa),
        *_gpu_checks(),
        _onnxruntime_check(),
        _openvino_check(cheap),
        _tensorflow_check(),
        _keras_check(),
    ]
    return MachineReport(model, os.cpu_count(), isa, tuple(checks))


def _int8_cpu_check(isa: tuple[str, ...]) -> Check:
    vnni = [f for f in isa if "VNNI" in f or "AMX" in f]
    if vnni:
        return Check("INT8 on CPU", True, f"exact int32 dot products ({', '.join(vnni)})")
    if "AVX2" in isa:
        return Check(
            "INT8 on CPU",
            True,
            "AVX2 without VNNI: u8s8 pair sums saturate at int16 (mnx's u8 file uses 7-bit "
            "weights for that)",
        )
    return Check("INT8 on CPU", False, "no AVX2", "INT8 runs, but no faster than FP32 here")


def _gpu_checks() -> list[Check]:
    from mnx.toolkit import gpu

    out = []
    driver, runtime = gpu.cuda_versions()
    problem = gpu.cuda_problem() if runtime is not None else None
    info = gpu.gpu_info()
    if info is None:
        fix = gpu.GPU_EXTRA
        if driver is None:  # no driver: installing GPU packages on this machine would not help
            fix = f"use a machine with an NVIDIA GPU and driver; there: {fix}"
        out.append(Check("GPU", False, problem or "no NVIDIA GPU seen", fix))
    else:
        mem = f", {info.memory_mib} MiB" if info.memory_mib else ""
        via = "" if info.source == "cuda-python" else f" (via {info.source}; no cuda-python)"
        out.append(Check("GPU", True, f"{info.name} (sm {info.compute_capability}{mem}){via}"))
    drv = None if driver is None else f"supports CUDA {driver // 1000}.{driver % 1000 // 10}"
    if info is not None and info.source == "nvidia-smi":
        drv = f"{info.driver_version} (nvidia-smi)"
    out.append(
        Check(
            "NVIDIA driver",
            drv is not None and problem is None,
            drv or "not found",
            problem or "install the NVIDIA driver",
        )
    )
    rt = None if runtime is None else f"{runtime // 1000}.{runtime % 1000 // 10}"
    cp = _version("cuda-python") or _version("cuda-bindings")
    out.append(
        Check(
            "CUDA runtime",
            rt is not None and problem is None,
            f"CUDA {rt} (cuda-python {cp})" if rt else "cuda-python not installed",
            problem or gpu.GPU_EXTRA,
        )
    )
    trt_status = gpu.tensorrt_status()
    if trt_status.installed:
        routes = "strongly typed" + (
            " + builder flags/calibrators (10.x)" if trt_status.has_legacy_calibrators else ""
        )
        usable = info is not None and problem is None
        out.append(
            Check(
                "TensorRT",
                usable,
                f"{trt_status.version}: {routes}",
                None if usable else "needs a usable GPU (above)",
            )
        )
    else:
        out.append(Check("TensorRT", False, "not installed", gpu.GPU_EXTRA))
    return out


def _onnxruntime_check() -> Check:
    try:
        import onnxruntime as ort
    except ImportError:
        return Check("ONNX Runtime", False, "not installed", "pip install 'mnx[cpu]'")
    providers = ort.get_available_providers()
    cuda = "CUDAExecutionProvider" in providers
    found = f"{ort.__version__}; providers: {', '.join(providers)}"
    fix = None if cuda else "CPU only; for ort-cuda: pip uninstall onnxruntime, then a GPU extra"
    return Check("ONNX Runtime", True, found + ("" if cuda else f" ({fix})"))


def _openvino_check(cheap: bool) -> Check:
    version = _version("openvino")
    if version is None or not _importable("openvino"):
        return Check("OpenVINO", False, "not installed", "pip install openvino")
    if cheap and sys.modules.get("openvino") is None:
        return Check("OpenVINO", True, f"{version} (devices not probed)")
    try:
        import openvino as ov

        devices = ov.Core().available_devices
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break doctor
        return Check(
            "OpenVINO", False, f"{version}: {type(exc).__name__}: {exc}", "reinstall openvino"
        )
    return Check("OpenVINO", True, f"{version}; devices: {', '.join(devices)}")


def _tensorflow_check() -> Check:
    version = _version("tensorflow") or _version("tensorflow-cpu")
    if version is None:
        return Check("TensorFlow", False, "not installed", "pip install -e . (mnx depends on it)")
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(tf, "config"):  # already paid for: ask which devices it sees
        gpus = len(tf.config.list_physical_devices("GPU"))
        return Check("TensorFlow", True, f"{version}; {gpus} GPU(s) visible to TensorFlow")
    return Check("TensorFlow", True, version)


def _keras_check() -> Check:
    version = _version("keras")
    if version is None:
        return Check("Keras", False, "not installed", "pip install -e . (mnx depends on it)")
    installed = [b for b in ("tensorflow", "jax", "torch") if _importable(b)]
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    usable = backend in installed
    found = f"{version}; backend {backend}; installed backends: {', '.join(installed) or 'none'}"
    return Check("Keras", usable, found, None if usable else f"pip install {backend}")
