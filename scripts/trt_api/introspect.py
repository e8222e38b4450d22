"""Print the public API of the importable `tensorrt_bindings` module as JSON (run by generate.py
with the stub libraries on LD_LIBRARY_PATH; see there).

names:      every public dotted name: "Builder", "Builder.create_network", "BuilderFlag.FP16"
signatures: dotted callable -> its pybind11 signatures, one per overload, module prefix removed:
            "create_network(self: Builder, flags: typing.SupportsInt = 0) -> INetworkDefinition"
enums:      dotted enum -> {member: int value}
"""

from __future__ import annotations

import json
import re
import sys
import types
from typing import Any

import tensorrt_bindings as trt

PREFIX = re.compile(r"\btensorrt_bindings\.tensorrt\.|\btensorrt_bindings\.")


def _is_enum(obj: Any) -> bool:
    return isinstance(obj, type) and isinstance(getattr(obj, "__members__", None), dict)


def _signatures(name: str, obj: Any) -> list[str]:
    doc = getattr(obj, "__doc__", None) or ""
    pattern = re.compile(rf"^(?:\d+\. )?({re.escape(name)}\(.*\)(?: -> .*)?)$")
    sigs = [PREFIX.sub("", m.group(1)) for line in doc.splitlines() if (m := pattern.match(line))]
    overloaded = [s for s in sigs if s != f"{name}(*args, **kwargs)"]
    return overloaded or sigs


def _walk(prefix: str, obj: Any, out: dict[str, Any], depth: int) -> None:
    for attr in sorted(dir(obj)):
        if attr.startswith("_") and attr != "__init__":
            continue
        try:
            value = getattr(obj, attr)
        except Exception:  # noqa: BLE001 - a property that needs an instance
            continue
        dotted = f"{prefix}{attr}"
        if isinstance(value, types.ModuleType):
            continue  # os, sys, ctypes imported by the package's __init__; plugin submodule
        if attr == "__init__":
            sigs = _signatures("__init__", value)
            if sigs:
                out["signatures"][dotted] = sigs
            continue
        if depth > 0 and _is_enum(obj) and attr in obj.__members__:
            out["names"].append(dotted)
            continue
        if depth > 0 and attr in ("name", "value") and _is_enum(obj):
            continue
        out["names"].append(dotted)
        if _is_enum(value):
            out["enums"][dotted] = {k: int(v) for k, v in value.__members__.items()}
        if isinstance(value, type):
            if depth < 2 and value.__module__.startswith("tensorrt"):
                _walk(dotted + ".", value, out, depth + 1)
        elif callable(value):
            sigs = _signatures(attr, value)
            if sigs:
                out["signatures"][dotted] = sigs


def main() -> None:
    out: dict[str, Any] = {"version": trt.__version__, "names": [], "signatures": {}, "enums": {}}
    _walk("", trt, out, 0)
    out["names"] = sorted(set(out["names"]))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
