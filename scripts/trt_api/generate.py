"""Read the exact Python API of real TensorRT 10.16 and 11.4 without TensorRT's libraries.

    python scripts/trt_api/generate.py            # rewrite docs/tensorrt/tensorrt-<v>-api.json
    python scripts/trt_api/generate.py --check    # exit 1 when the committed files differ

Steps (docs/tensorrt/notes.md): `pip download` the bindings wheels (cached under
~/.cache/mnx/trt-bindings), unzip them, compile stub.c as the three libraries tensorrt.so
links against (libnvinfer / libnvonnxparser / libnvinfer_plugin .so.<major>), then import the
real module in a subprocess with those stubs on LD_LIBRARY_PATH and dump every public name,
pybind11 signature and enum value. The dump is what tests/toolkit/engines/test_trt_api_names.py
holds mnx's calls and the test double (tests/support/fakes/tensorrt.py) to.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE.parents[1] / "docs" / "tensorrt"
# version -> the PyPI wheel holding its Python bindings (CUDA 12 for 10.x, CUDA 13 for 11.x)
WHEELS = {
    "10.16.1.11": "tensorrt-cu12-bindings",
    "11.4.0.106": "tensorrt-cu13-bindings",
}
STUB_LIBS = ("nvinfer", "nvonnxparser", "nvinfer_plugin")


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "mnx" / "trt-bindings"


def short(version: str) -> str:
    return ".".join(version.split(".")[:2])


def api_path(version: str) -> Path:
    return DOCS / f"tensorrt-{short(version)}-api.json"


def names_path(version: str) -> Path:
    return DOCS / f"tensorrt-{short(version)}-python-names.txt"


def fetch(version: str) -> Path:
    """The unpacked bindings of `version` (downloaded once; cp311 manylinux wheels)."""
    root = cache_dir() / version
    if (root / "tensorrt_bindings" / "tensorrt.so").exists():
        return root
    wheels = cache_dir() / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    spec = f"{WHEELS[version]}=={version}"
    found = sorted(wheels.glob(f"{WHEELS[version].replace('-', '_')}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheels)]
            + ["--python-version", "3.11", "--only-binary", ":all:", spec],
            check=True,
        )
        found = sorted(wheels.glob(f"{WHEELS[version].replace('-', '_')}-{version}-*.whl"))
    with zipfile.ZipFile(found[0]) as zf:
        zf.extractall(root)
    return root


def stubs(version: str) -> Path:
    """Compile stub.c as the three libraries tensorrt.so of `version` needs."""
    major = version.split(".")[0]
    out = cache_dir() / f"stubs-{major}"
    out.mkdir(parents=True, exist_ok=True)
    cc = os.environ.get("CC", "cc")
    for lib in STUB_LIBS:
        target = out / f"lib{lib}.so.{major}"
        if not target.exists() or target.stat().st_mtime < (HERE / "stub.c").stat().st_mtime:
            subprocess.run(
                [cc, "-shared", "-fPIC", "-o", str(target), str(HERE / "stub.c")], check=True
            )
    return out


def dump(version: str) -> dict[str, object]:
    """The API of the real module, read in a subprocess (the stubs must be on its loader path).

    The subprocess needs Python 3.11: the wheels hold a cp311 extension.
    """
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        [str(stubs(version)), env.get("LD_LIBRARY_PATH", "")]
    ).rstrip(os.pathsep)
    env["PYTHONPATH"] = str(fetch(version))
    proc = subprocess.run(
        [sys.executable, str(HERE / "introspect.py")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"introspecting TensorRT {version} failed:\n{proc.stderr[-3000:]}")
    data: dict[str, object] = json.loads(proc.stdout)
    if data["version"] != version:
        raise RuntimeError(f"wheel for {version} reports {data['version']}")
    return data


def render(data: dict[str, object]) -> tuple[str, str]:
    api = json.dumps(data, indent=1, sort_keys=True) + "\n"
    names = "".join(f"{n}\n" for n in data["names"])  # type: ignore[attr-defined]
    return api, names


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare, do not write")
    args = ap.parse_args()
    stale = []
    for version in WHEELS:
        api, names = render(dump(version))
        for path, text in ((api_path(version), api), (names_path(version), names)):
            if args.check:
                if not path.exists() or path.read_text() != text:
                    stale.append(path.name)
            else:
                path.write_text(text)
                print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/trt_api/generate.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
