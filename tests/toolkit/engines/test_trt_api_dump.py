"""The committed API dumps (docs/tensorrt/tensorrt-<version>-api.json and -python-names.txt) are
exactly what the real TensorRT bindings wheels hold.

Downloads tensorrt-cu12-bindings 10.16.1.11 and tensorrt-cu13-bindings 11.4.0.106 (~1.3 MB each,
cached under ~/.cache/mnx/trt-bindings), compiles scripts/trt_api/stub.c as the libraries they
link against, imports each real module in a subprocess and compares. A few seconds once cached;
also `tox -e trt-api`. Needs pip's index and a C compiler; the wheels are cp311 builds.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.trt_api,
    pytest.mark.skipif(
        sys.version_info[:2] != (3, 11), reason="the TensorRT bindings wheels are cp311 builds"
    ),
]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "trt_api_generate", REPO / "scripts" / "trt_api" / "generate.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("version", ["10.16.1.11", "11.4.0.106"])
def test_committed_api_is_the_real_one(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("cc") is None:
        pytest.fail("no C compiler (cc) to build the stub libraries")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    gen = _generator()
    data = gen.dump(version)
    api, names = gen.render(data)
    assert data["version"] == version
    assert gen.api_path(version).read_text() == api, "run scripts/trt_api/generate.py"
    assert gen.names_path(version).read_text() == names, "run scripts/trt_api/generate.py"
    # facts the double once had wrong (issue 14)
    enums = data["enums"]
    assert enums["MemoryPoolType"]["TACTIC_SHARED_MEMORY"] == 5
    assert enums["BuilderFlag"]["TF32"] == 6
    assert enums["NetworkDefinitionCreationFlag"]["STRONGLY_TYPED"] == (
        1 if version.startswith("10.") else 0
    )
