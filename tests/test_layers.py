"""The code folders import one way: architectures <- toolkit <- bench <- workflows <- cli.

A module may import from its own layer and the layers below it, never from a layer above.
Read from the source (ast), so the check costs no import of TensorFlow or ONNX Runtime."""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import ROOT

LAYERS = ("architectures", "toolkit", "bench", "workflows", "cli")


def _imported_layers(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] == "mnx" and parts[1] in LAYERS:
                found.add(parts[1])
    return found


def test_imports_run_one_way() -> None:
    violations = []
    for rank, layer in enumerate(LAYERS):
        allowed = set(LAYERS[: rank + 1])
        for path in sorted((ROOT / layer).rglob("*.py")):
            for used in sorted(_imported_layers(path) - allowed):
                violations.append(f"{path.relative_to(ROOT)} imports mnx.{used}")
    assert not violations, "imports against the layer order:\n" + "\n".join(violations)


def test_no_generic_top_level_names_are_imported() -> None:
    # The installed package is `mnx` only; `import toolkit` would resolve to nothing installed.
    bad = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                mods = []
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    mods = [node.module]
                bad += [f"{path.relative_to(ROOT)}: {m}" for m in mods if m.split(".")[0] in LAYERS]
    assert not bad, "\n".join(bad)
