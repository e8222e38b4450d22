"""Every TensorRT name mnx (and its test double) touches exists in the real bindings.

The name lists in docs/tensorrt (copied from the real bindings) were taken from the string table of the real bindings
(tensorrt-cu12-bindings 10.16.1.11, tensorrt-cu13-bindings 11.4.0.106). The linker merges a
string into a longer one that ends with it, so some real names appear only as a suffix of a
listed one ("Logger" inside "ILogger", "serialize" inside "deserialize"); a name therefore counts
as present when it is listed or is the tail of a listed name. `nptype` and `__version__` are
defined in tensorrt/__init__.py (pure Python), not in the bindings, so they are allowed by name.
"""

from __future__ import annotations

import ast
import inspect
from enum import EnumMeta
from pathlib import Path

import pytest

from support.fakes import tensorrt as fake_trt

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs" / "tensorrt"
LIST_FILES = {"10": "tensorrt-10.16-python-names.txt", "11": "tensorrt-11.4-python-names.txt"}
PURE_PYTHON = {"nptype", "__version__"}
TRT_ALIASES = {"trt", "tensorrt"}  # how toolkit code names the module


def _find_list(name: str) -> Path | None:
    for base in (DOCS, REPO.parent / "shared" / "docs"):
        if (base / name).exists():
            return base / name
    return None


@pytest.fixture(scope="module")
def names() -> dict[str, set[str]]:
    out = {}
    for major, fname in LIST_FILES.items():
        path = _find_list(fname)
        if path is None:
            pytest.fail(f"{fname} not found in {DOCS}")
        out[major] = set(path.read_text().split())
    return out


def exists(name: str, listed: set[str]) -> bool:
    return name in PURE_PYTHON or name in listed or any(n.endswith(name) for n in listed)


def _chain(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in TRT_ALIASES:
        return parts[::-1]
    return None


def trt_uses(source: str) -> tuple[set[tuple[str, ...]], set[str]]:
    """(attribute chains rooted at `trt`, names guarded by hasattr feature checks)."""
    tree = ast.parse(source)
    chains: set[tuple[str, ...]] = set()
    guarded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = _chain(node)
            if chain:
                chains.add(tuple(chain))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("hasattr", "getattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            target = node.args[0]
            if _chain(target) is not None or (
                isinstance(target, ast.Name) and target.id in TRT_ALIASES
            ):
                guarded.add(node.args[1].value)
                chains.add(tuple((_chain(target) or []) + [node.args[1].value]))
    # keep whole chains only: trt.BuilderFlag.FP16, not also its prefix trt.BuilderFlag
    chains = {c for c in chains if not any(o[: len(c)] == c and len(o) > len(c) for o in chains)}
    return chains, guarded


def problems(source: str, names: dict[str, set[str]]) -> list[str]:
    """Unguarded names must exist in every targeted version; guarded ones in at least one."""
    chains, guarded = trt_uses(source)
    out = []
    for chain in sorted(chains):
        for i, part in enumerate(chain):
            in_versions = [v for v, listed in names.items() if exists(part, listed)]
            is_guarded = any(p in guarded for p in chain[: i + 1])
            if not in_versions or (not is_guarded and len(in_versions) < len(names)):
                missing = sorted(set(names) - set(in_versions))
                out.append(f"trt.{'.'.join(chain)}: '{part}' missing in TensorRT {missing}")
    return out


def _toolkit_sources() -> list[Path]:
    return sorted((REPO / "toolkit").rglob("*.py"))


def test_toolkit_uses_only_real_tensorrt_names(names: dict[str, set[str]]) -> None:
    found: list[str] = []
    used = 0
    for path in _toolkit_sources():
        source = path.read_text()
        chains, _ = trt_uses(source)
        used += len(chains)
        found += [f"{path.relative_to(REPO)}: {p}" for p in problems(source, names)]
    assert used >= 15, "the scan found almost no trt.<name> uses: is the AST walk broken?"
    assert found == []


def test_misspelt_or_removed_names_are_caught(names: dict[str, set[str]]) -> None:
    assert problems("trt.BuilderFlag.FP61", names)  # misspelt
    assert problems(
        "trt.Builder(logger).create_network(trt.NetworkDefinitionCreationFlag.STRONG)", names
    )
    # FP16 exists only in 10.x: fine behind a feature check, an error without one
    assert problems("trt.BuilderFlag.FP16", names)
    assert not problems("if hasattr(trt.BuilderFlag, 'FP16'):\n    trt.BuilderFlag.FP16", names)
    assert problems("if hasattr(trt, 'IInt8EntropyCalibrator3'):\n    pass", names)
    assert not problems("trt.Logger(trt.Logger.WARNING); trt.nptype(x); trt.__version__", names)


@pytest.mark.parametrize("version", [fake_trt.V10, fake_trt.V11])
def test_fake_tensorrt_exposes_only_real_names(names: dict[str, set[str]], version: str) -> None:
    """The double must not offer an API the real module of that version lacks; otherwise code
    could pass the tests and fail on TensorRT."""
    listed = names[version.split(".")[0]]
    module = fake_trt.make_tensorrt(version)
    bad = []
    for attr, value in vars(module).items():
        if attr.startswith("_") and attr != "__version__":
            continue
        if not exists(attr, listed):
            bad.append(attr)
        if isinstance(value, EnumMeta):
            bad += [f"{attr}.{m}" for m in value.__members__ if not exists(m, listed)]
        elif inspect.isclass(value):
            own = [n for n in vars(value) if not n.startswith("_")]
            bad += [f"{attr}.{n}" for n in own if not exists(n, listed)]
    assert bad == []


def test_fake_versions_differ_exactly_where_tensorrt_does() -> None:
    t10, t11 = fake_trt.make_tensorrt(fake_trt.V10), fake_trt.make_tensorrt(fake_trt.V11)
    for name in ("IInt8EntropyCalibrator2", "IInt8MinMaxCalibrator", "CalibrationAlgoType"):
        assert hasattr(t10, name) and not hasattr(t11, name)
    assert hasattr(t10.BuilderFlag, "FP16") and not hasattr(t11.BuilderFlag, "FP16")
    assert hasattr(t10.BuilderFlag, "INT8") and not hasattr(t11.BuilderFlag, "INT8")
    assert hasattr(t11.NetworkDefinitionCreationFlag, "STRONGLY_TYPED")
