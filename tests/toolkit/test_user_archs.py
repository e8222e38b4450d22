"""A network trained from --arch-file is found again by later commands without the flag; a moved or
changed file is one clear message."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnx.architectures import registry
from mnx.cli import main

ARCH = (
    "import keras\n"
    "from mnx.architectures import Family, InputLayout, Recipe, register\n"
    "\n"
    "@register('zz_mine', seed='user', section='test', family=Family.LINEAR,\n"
    "          recipe=Recipe('Adam', 1e-3, 1, 128), layout=InputLayout.FLAT)\n"
    "def zz_mine():\n"
    "    x = keras.Input((784,), name='input')\n"
    "    return keras.Model(x, keras.layers.Dense(10, activation='softmax', name='output')(x))\n"
)


@pytest.fixture
def private_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A private copy of the registry, so the user network does not leak into other tests."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    yield
    sys.modules.pop("mnx_user_arch_my_nets", None)
    registry.set_fallback(None)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def forget() -> None:
    """What a new process starts with: the user network unregistered."""
    registry._REGISTRY.pop("zz_mine", None)
    sys.modules.pop("mnx_user_arch_my_nets", None)


@pytest.mark.usefixtures("private_registry")
def test_arch_file_is_remembered(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from mnx.toolkit.artifacts import sha256_file

    arch = tmp_path / "my_nets.py"
    arch.write_text(ARCH)
    root = tmp_path / "art"
    base = ("--artifacts", str(root))
    code, _, err = run(
        capsys, *base, "--arch-file", str(arch), "train", "zz_mine", "--limit", "500"
    )
    assert code == 0, err
    rec = json.loads((root / "zz_mine" / "arch_file.json").read_text())
    assert rec["path"] == str(arch.resolve()) and rec["sha256"] == sha256_file(arch)

    forget()
    code, out, err = run(capsys, *base, "export", "zz_mine")
    assert code == 0, err
    assert (root / "zz_mine" / "model.fp32.onnx").is_file()

    from mnx.bench.run import trained_networks

    forget()
    assert trained_networks(root) == ["zz_mine"]
    code, out, err = run(
        capsys,
        *base,
        "bench",
        "--all",
        "--backend",
        "ort",
        "--iterations",
        "3",
        "--batch-sizes",
        "1",
        "--no-save",
    )
    assert code == 0, err
    assert "zz_mine" in out

    forget()
    arch.write_text(ARCH + "# edited\n")
    code, _, err = run(capsys, *base, "show", "zz_mine")
    assert code == 1 and "has changed since" in err and "--arch-file" in err
    assert len(err.strip().splitlines()) == 1

    forget()
    arch.rename(tmp_path / "moved.py")
    code, _, err = run(capsys, *base, "export", "zz_mine")
    assert code == 1 and "no longer exists" in err and "--arch-file NEW_PATH" in err
