"""mnx's TensorRT calls and the TensorRT test double, held to the real bindings' API.

docs/tensorrt/tensorrt-<version>-api.json is the exact public API of the real Python bindings
(tensorrt-cu12-bindings 10.16.1.11, tensorrt-cu13-bindings 11.4.0.106), read by
scripts/trt_api/generate.py from the real module imported over stub libraries;
test_trt_api_dump.py proves the committed files are what the wheels hold. Checked here:
- every `trt.X.Y` in toolkit/ is a whole dotted name of every version it targets (a name behind
  a hasattr feature check anywhere in toolkit/ only needs one version);
- every call toolkit/ makes to a TensorRT method or class fits a real pybind11 signature
  (argument count, keyword names);
- every public name, method signature and enum value of the double equals the real one.
"""

from __future__ import annotations

import ast
import inspect
import json
from enum import EnumMeta
from pathlib import Path
from typing import Any

import pytest

from support.fakes import tensorrt as fake_trt

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs" / "tensorrt"
VERSIONS = {fake_trt.V10: "10.16", fake_trt.V11: "11.4"}
TRT_ALIASES = {"trt", "tensorrt"}  # how toolkit code names the module
# toolkit files that call into TensorRT objects (the signature check looks at these)
TRT_FILES = ("toolkit/export/tensorrt", "toolkit/runners/trt.py")
# method names that are also builtin container methods (dict.update vs ITimingCache.update):
# a call to one of these cannot be told apart by name, so the signature check skips it
BUILTIN_METHODS = {n for t in (dict, list, set, str, bytes) for n in dir(t)}


def load_api(short: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DOCS / f"tensorrt-{short}-api.json").read_text())
    inits = {k for k in data["signatures"] if k.endswith(".__init__")}
    data["names"] = set(data["names"]) | inits | {"__version__"}  # __version__: pure Python
    return data


@pytest.fixture(scope="module")
def apis() -> dict[str, dict[str, Any]]:
    return {v: load_api(s) for v, s in VERSIONS.items()}


# --- signatures ---------------------------------------------------------------------------------


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return parts + [cur.strip()] if cur.strip() else parts


def typed_params(signature: str) -> list[tuple[str, str, bool]]:
    """[(name, type, has_default)] of a pybind11 signature line, without `self`."""
    start = signature.index("(") + 1
    depth, end = 1, start
    while depth:
        depth += {"(": 1, ")": -1}.get(signature[end], 0)
        end += 1
    out = []
    for part in _split_top(signature[start : end - 1]):
        head, _, default = part.partition(" = ")
        name, _, annotation = head.partition(":")
        name = name.strip()
        if name != "self":
            out.append((name, annotation.strip(), bool(default) or "=" in name))
    return out


def params(signature: str) -> list[tuple[str, bool]]:
    """[(name, has_default)] of a pybind11 signature line, without `self`."""
    return [(n, d) for n, _, d in typed_params(signature)]


def fits(
    signature: str, positional: int, keywords: set[str], enums: dict[int, str] | None = None
) -> bool:
    """Whether a call with `positional` arguments and `keywords` fits `signature`; `enums` maps
    a positional index to the TensorRT enum its argument is a member of (trt.MemoryPoolType.X),
    which must be the parameter's type there: that checks the order, not only the count."""
    typed = typed_params(signature)
    for i, enum in (enums or {}).items():
        if i < len(typed) and typed[i][1].split(".")[-1] != enum.split(".")[-1]:
            return False
    ps = [(n, d) for n, _, d in typed]
    if any(n.startswith("*") for n, _ in ps):
        return True
    names = [n for n, _ in ps]
    required = [n for n, d in ps if not d]
    if positional > len(ps) or not keywords <= set(names[positional:]):
        return False
    given = set(names[:positional]) | keywords
    return set(required) <= given


# --- mnx's uses ---------------------------------------------------------------------------------


def _chain(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in TRT_ALIASES:
        return parts[::-1]
    return None


def trt_uses(source: str) -> tuple[set[tuple[str, ...]], set[str]]:
    """(whole attribute chains rooted at `trt`, dotted names guarded by hasattr checks)."""
    chains: set[tuple[str, ...]] = set()
    guarded: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and (chain := _chain(node)):
            chains.add(tuple(chain))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("hasattr", "getattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            target = node.args[0]
            base = _chain(target)
            if base is None and isinstance(target, ast.Name) and target.id in TRT_ALIASES:
                base = []
            if base is not None:
                chain = (*base, str(node.args[1].value))
                chains.add(chain)
                guarded.add(".".join(chain))
    chains = {c for c in chains if not any(o[: len(c)] == c and len(o) > len(c) for o in chains)}
    return chains, guarded


def name_problems(
    source: str,
    apis: dict[str, dict[str, Any]],
    also_guarded: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """`also_guarded`: names feature-checked elsewhere (routes.py checks the legacy APIs with
    hasattr before loaders.py / calibrator.py use them)."""
    chains, guarded = trt_uses(source)
    guarded = guarded | set(also_guarded)
    out = []
    for chain in sorted(chains):
        for i in range(1, len(chain) + 1):
            dotted = ".".join(chain[:i])
            present = [v for v, api in apis.items() if dotted in api["names"]]
            is_guarded = any(".".join(chain[:j]) in guarded for j in range(1, i + 1))
            if not present or (not is_guarded and len(present) < len(apis)):
                missing = sorted(set(apis) - set(present))
                out.append(f"trt.{dotted} missing in TensorRT {missing}")
                break
    return out


def call_problems(source: str, apis: dict[str, dict[str, Any]]) -> list[str]:
    """Calls to `trt.Class(...)`, `trt.func(...)` and `<obj>.method(...)` where `method` is a
    TensorRT method name: the arguments must fit at least one real signature of that name."""
    sigs: dict[str, list[str]] = {}
    for api in apis.values():
        for dotted, lines in api["signatures"].items():
            parts = dotted.split(".")
            key = ".".join(parts[:-1]) if parts[-1] == "__init__" else None
            sigs.setdefault(f"trt.{key}" if key else parts[-1], []).extend(lines)
            if len(parts) == 1:
                sigs.setdefault(f"trt.{dotted}", []).extend(lines)
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        chain = _chain(node.func)
        key = f"trt.{'.'.join(chain)}" if chain else node.func.attr
        if key not in sigs or (not chain and key in BUILTIN_METHODS):
            continue
        if any(isinstance(a, ast.Starred) for a in node.args):
            continue
        kws = {k.arg for k in node.keywords if k.arg}
        enums = {}
        for i, arg in enumerate(node.args):
            arg_chain = _chain(arg)
            if arg_chain and len(arg_chain) >= 2:
                owner = ".".join(arg_chain[:-1])
                if any(owner in api["enums"] for api in apis.values()):
                    enums[i] = owner
        if not any(fits(s, len(node.args), kws, enums) for s in sigs[key]):
            out.append(
                f"line {node.lineno}: {ast.unparse(node)} fits none of {sorted(set(sigs[key]))}"
            )
    return out


def _sources() -> list[Path]:
    return sorted((REPO / "toolkit").rglob("*.py"))


def test_toolkit_uses_only_real_tensorrt_names(apis: dict[str, dict[str, Any]]) -> None:
    found, used = [], 0
    guarded = set().union(*(trt_uses(p.read_text())[1] for p in _sources()))
    for path in _sources():
        source = path.read_text()
        used += len(trt_uses(source)[0])
        found += [f"{path.relative_to(REPO)}: {p}" for p in name_problems(source, apis, guarded)]
    assert used >= 15, "the scan found almost no trt.<name> uses: is the AST walk broken?"
    assert found == []


def test_toolkit_calls_fit_the_real_signatures(apis: dict[str, dict[str, Any]]) -> None:
    found, files = [], 0
    for path in _sources():
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(TRT_FILES):
            files += 1
            found += [f"{rel}: {p}" for p in call_problems(path.read_text(), apis)]
    assert files >= 2
    assert found == []


def test_misspelt_removed_or_partial_names_are_caught(apis: dict[str, dict[str, Any]]) -> None:
    assert name_problems("trt.BuilderFlag.FP61", apis)  # misspelt
    assert name_problems("trt.NetworkDefinitionCreationFlag.STRONG", apis)
    assert name_problems("trt.Logge", apis)  # a tail or head of a real name is not a name
    assert name_problems("trt.ExprBuilder", apis)  # only IExprBuilder exists
    # FP16 exists only in 10.x: fine behind a feature check, an error without one
    assert name_problems("trt.BuilderFlag.FP16", apis)
    assert not name_problems("if hasattr(trt.BuilderFlag, 'FP16'):\n    trt.BuilderFlag.FP16", apis)
    assert name_problems("if hasattr(trt, 'IInt8EntropyCalibrator3'):\n    pass", apis)
    assert not name_problems("trt.Logger(trt.Logger.WARNING); trt.nptype(x); trt.__version__", apis)


def test_wrong_calls_are_caught(apis: dict[str, dict[str, Any]]) -> None:
    assert call_problems("b.create_network(0, 1)", apis)  # one argument too many
    assert call_problems("p.set_shape('input', lo, hi)", apis)  # opt forgotten
    assert call_problems("c.set_memory_pool_limit(pool=w, size=1)", apis)  # keyword is pool_size
    assert call_problems("trt.OnnxParser(network)", apis)  # logger forgotten
    # right count, wrong order: the enum belongs in the first place
    assert call_problems("c.set_memory_pool_limit(1 << 30, trt.MemoryPoolType.WORKSPACE)", apis)
    assert not call_problems("c.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1)", apis)
    assert call_problems("c.set_flag(trt.MemoryPoolType.WORKSPACE)", apis)  # wrong enum
    assert not call_problems("trt.OnnxParser(network, logger)", apis)
    assert not call_problems("p.set_shape('input', min=lo, opt=mid, max=hi)", apis)


# --- the double ---------------------------------------------------------------------------------


def _own_members(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ == cls.__module__ and klass is not object:
            out.update({k: v for k, v in vars(klass).items() if not k.startswith("_")})
    if "__init__" in vars(cls):
        out["__init__"] = vars(cls)["__init__"]
    return out


def double_problems(version: str, api: dict[str, Any]) -> list[str]:
    module = fake_trt.make_tensorrt(version)
    bad = []
    for attr, value in vars(module).items():
        if attr.startswith("_") and attr != "__version__":
            continue
        if attr not in api["names"]:
            bad.append(f"{attr}: not in TensorRT {version}")
            continue
        bad += _compare(attr, value, api)
    return bad


def _compare(dotted: str, value: Any, api: dict[str, Any]) -> list[str]:
    bad = []
    if isinstance(value, EnumMeta):
        real = api["enums"].get(dotted)
        mine = {k: int(v) for k, v in value.__members__.items()}
        if real is None or any(real.get(k) != v for k, v in mine.items()):
            bad.append(f"{dotted}: {mine} != real {real}")
        return bad
    if not inspect.isclass(value):
        return bad
    for name, member in _own_members(value).items():
        full = f"{dotted}.{name}"
        if inspect.isclass(member):
            bad += [] if full in api["names"] else [f"{full}: not real"]
            bad += _compare(full, member, api) if full in api["names"] else []
            continue
        if name != "__init__" and full not in api["names"]:
            bad.append(f"{full}: not real")
            continue
        if inspect.isfunction(member):
            mine = [
                (p.name, p.default is not inspect.Parameter.empty)
                for p in list(inspect.signature(member).parameters.values())[1:]
            ]
            real = [params(s) for s in api["signatures"].get(full, [])]
            if real and mine not in real:
                bad.append(f"{full}{mine} != real {real}")
    return bad


@pytest.mark.parametrize("version", list(VERSIONS))
def test_double_equals_the_real_api(apis: dict[str, dict[str, Any]], version: str) -> None:
    """Names, method parameters (names, order, which have defaults) and enum values of the
    double are the real ones: code that passes with it cannot call what TensorRT lacks."""
    assert double_problems(version, apis[version]) == []


def test_double_check_catches_a_wrong_enum_value(apis: dict[str, dict[str, Any]]) -> None:
    api = apis[fake_trt.V11]
    fake = {"names": api["names"], "signatures": api["signatures"], "enums": dict(api["enums"])}
    fake["enums"]["MemoryPoolType"] = {**api["enums"]["MemoryPoolType"], "WORKSPACE": 7}
    assert any("MemoryPoolType" in p for p in double_problems(fake_trt.V11, fake))


def test_fake_versions_differ_exactly_where_tensorrt_does(apis: dict[str, dict[str, Any]]) -> None:
    t10, t11 = fake_trt.make_tensorrt(fake_trt.V10), fake_trt.make_tensorrt(fake_trt.V11)
    for name in ("IInt8EntropyCalibrator2", "IInt8MinMaxCalibrator", "CalibrationAlgoType"):
        assert hasattr(t10, name) and not hasattr(t11, name)
        assert name in apis[fake_trt.V10]["names"] and name not in apis[fake_trt.V11]["names"]
    assert hasattr(t10.BuilderFlag, "FP16") and not hasattr(t11.BuilderFlag, "FP16")
    assert int(t10.NetworkDefinitionCreationFlag.STRONGLY_TYPED) == 1
    assert int(t11.NetworkDefinitionCreationFlag.STRONGLY_TYPED) == 0
