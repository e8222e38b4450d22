"""Tool versions and machine facts for manifests and results provenance.

Cheap: package versions come from installed-distribution metadata (no TensorFlow import, which
costs ~9 s); a package that is not installed is simply absent. The Keras backend is read from
Keras if it is already imported, else from $KERAS_BACKEND / Keras's default.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

# Distribution name -> key in the result. onnxruntime ships under several distribution names
# (CPU, GPU, DirectML...), all importing the same module; the first one found wins.
_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "numpy": ("numpy",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos"),
    "keras": ("keras",),
    "jax": ("jax",),
    "torch": ("torch",),
    "onnx": ("onnx",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu", "onnxruntime-directml"),
    "onnxconverter_common": ("onnxconverter-common",),
    "tf2onnx": ("tf2onnx",),
    "tensorrt": ("tensorrt", "tensorrt-cu12", "tensorrt-cu13"),
    "openvino": ("openvino",),
    "mnx": ("mnx",),
}


def versions() -> dict[str, str]:
    """Versions of Python, the ML stack and mnx, plus platform, CPU model and git commit.

    Keys of packages that are not installed are absent; this never raises.
    """
    out = dict(_static_versions())
    backend = keras_backend()
    if backend and "keras" in out:
        out["keras_backend"] = backend
    return out


@functools.lru_cache(maxsize=1)
def _static_versions() -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {"python": platform.python_version()}
    for key, dists in _DISTRIBUTIONS.items():
        for dist in dists:
            try:
                out[key] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    if "mnx" not in out:  # running from a checkout that is not installed
        from mnx.toolkit import __version__

        out["mnx"] = __version__
    out["platform"] = platform.platform()
    out["machine"] = platform.machine()
    cpu = cpu_model()
    if cpu:
        out["cpu"] = cpu
    commit = git_commit()
    if commit:
        out["git_commit"] = commit
    return tuple(out.items())


def keras_backend() -> str | None:
    """The Keras backend in use (or that will be used when Keras is first imported)."""
    keras = sys.modules.get("keras")
    if keras is not None:
        try:
            return str(keras.backend.backend())
        except Exception:  # a half-imported keras must not break provenance
            return None
    env = os.environ.get("KERAS_BACKEND")
    if env:
        return env
    # Keras's own config file, as Keras reads it on import.
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        backend = json.loads(config.read_text(encoding="utf-8")).get("backend")
        return str(backend) if backend else None
    except (OSError, ValueError, AttributeError):
        return None


def cpu_model() -> str | None:
    """The CPU model name, e.g. 'AMD EPYC 7B13', or None when the OS does not say."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            return (
                subprocess.run(
                    ["sysctl", "-n", "machdep.cpu.brand_string"],
                    capture_output=True,
                    text=True,
                    timeout=2,
                    check=True,
                ).stdout.strip()
                or None
            )
        except (OSError, subprocess.SubprocessError):
            return None
    return platform.processor() or None


def git_commit(path: Path | None = None) -> str | None:
    """The HEAD commit of the repository holding mnx's sources (suffix '+dirty' when the tree has
    uncommitted changes), or None outside a git checkout or without git."""
    here = path or Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=2
        )
        if head.returncode != 0:
            return None
        commit = head.stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if status.returncode == 0 and status.stdout.strip():
            commit += "+dirty"
        return commit
    except (OSError, subprocess.SubprocessError):
        return None
