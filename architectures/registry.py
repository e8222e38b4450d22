"""The model zoo registry: one decorated builder function per network.

    @register("cnn9", seed="004", section="Model 9", family=Family.CNN,
              reported_accuracy=0.9954, params=3_210_378, recipe=Recipe(...))
    def cnn9() -> keras.Model: ...

A user adds an architecture by decorating one builder in architectures/ or in a file passed with
`mnx --arch-file my_nets.py ...`; nothing else changes.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from mnx.architectures.recipe import InputLayout, Recipe
from mnx.errors import MnxError, UnknownNameError, UsageError


class Family(str, Enum):
    LINEAR = "linear"
    MLP = "mlp"
    CNN = "cnn"


@dataclass(frozen=True)
class Network:
    """A registered network: its builder, seed provenance, recipe and expected size."""

    name: str
    builder: Callable[[], Any]
    seed: str  # notebook id, "000".."004", or "user"
    section: str  # where in the notebook, e.g. "Model 9" or "2.1.1 (m21)"
    family: Family
    recipe: Recipe
    reported_accuracy: float | None  # the seed's reported test accuracy, as a fraction
    params: int | None  # the catalog's parameter count
    layout: InputLayout = InputLayout.IMAGE
    catalog_slug: str = ""
    description: str = ""

    def build(self) -> Any:
        """Build a fresh, uncompiled Keras model, named after the network (for summaries)."""
        import keras

        model = self.builder()
        if not isinstance(model, keras.Model):
            raise UsageError(
                f"The builder of '{self.name}' returned {type(model).__name__}, not a Keras model",
                expected="a function returning a keras.Model (e.g. keras.Sequential([...]))",
                fix=f"make `{getattr(self.builder, '__name__', 'the builder')}` return the model",
            )
        model.name = self.name
        return model


_REGISTRY: dict[str, Network] = {}


def register(
    name: str,
    *,
    seed: str,
    section: str,
    family: Family,
    recipe: Recipe,
    reported_accuracy: float | None = None,
    params: int | None = None,
    layout: InputLayout = InputLayout.IMAGE,
    catalog_slug: str = "",
    description: str = "",
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register a builder under a stable short name."""

    check_name(name)

    def deco(fn: Callable[[], Any]) -> Callable[[], Any]:
        if name in _REGISTRY and _REGISTRY[name].builder is not fn:
            raise ValueError(f"architecture '{name}' is registered twice")
        _REGISTRY[name] = Network(
            name=name,
            builder=fn,
            seed=seed,
            section=section,
            family=family,
            recipe=recipe,
            reported_accuracy=reported_accuracy,
            params=params,
            layout=layout,
            catalog_slug=catalog_slug,
            description=description or _first_line(fn.__doc__),
        )
        return fn

    return deco


# Folders the artifacts root holds besides networks (bench results, caches, engines...).
RESERVED_NAMES = frozenset(
    {"bench", "bench_cache", "engines", "plots", "views", "reproduce", "results", "data"}
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(name: str) -> str:
    """`name` if it can name a network (one path component under the artifacts root, not a
    folder mnx keeps there), else UsageError."""
    ok = isinstance(name, str) and bool(_NAME.match(name)) and ".." not in name
    if not ok or name.lower() in RESERVED_NAMES:
        why = "is reserved for mnx's own folders" if ok else "is not a plain file name"
        raise UsageError(
            f"Network name {name!r} {why}",
            expected="1-64 letters, digits, '_', '-' or '.', starting with a letter or digit, "
            f"and not one of: {', '.join(sorted(RESERVED_NAMES))}",
            fix="rename it in @register(...)",
        )
    return name


def _first_line(doc: str | None) -> str:
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else ""


def _load_builtin() -> None:
    import mnx.architectures.zoo  # noqa: F401  (registers the 38 seed networks)


def load_arch_file(path: str | Path) -> None:
    """Import a user file whose decorated builders register more networks."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(
            f"Architecture file '{p}' does not exist",
            expected="a Python file with @register-decorated builder functions",
            fix="check the path passed to --arch-file",
        )
    if p.suffix != ".py":
        raise UsageError(
            f"Architecture file '{p}' is not a Python file",
            expected="a .py file with @register-decorated builder functions",
            fix="pass the .py file that defines the builders to --arch-file",
        )
    spec = importlib.util.spec_from_file_location(f"mnx_user_arch_{p.stem}", p)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except MnxError:
        sys.modules.pop(spec.name, None)
        raise
    except Exception as exc:  # the user's code: SyntaxError, ImportError, anything it raises
        sys.modules.pop(spec.name, None)
        raise UsageError(
            f"Architecture file '{p}' failed to load: {_where(exc, p)}",
            expected="a Python file that imports cleanly and registers builders",
            fix=f"fix the error in '{p}' (run `python {p}` to see it in full)",
        ) from exc


def _where(exc: BaseException, path: Path) -> str:
    """`Type: message (line N)` for an error raised while importing the user's file."""
    import traceback

    line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
    if line is None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
        line = frames[-1].lineno if frames else None
    at = f" (line {line})" if line else ""
    return f"{type(exc).__name__}: {getattr(exc, 'msg', None) or exc}{at}"


def all_networks() -> list[Network]:
    _load_builtin()
    return list(_REGISTRY.values())


def names() -> list[str]:
    return [n.name for n in all_networks()]


_FALLBACK: list[Callable[[str], bool]] = []


def set_fallback(find: Callable[[str], bool] | None) -> None:
    """`find(name)` registers an unknown name if it can (True) — e.g. from the arch file recorded
    with a trained user network (toolkit.user_archs). One at a time; None removes it."""
    _FALLBACK[:] = [find] if find is not None else []


def is_registered(name: str) -> bool:
    return name in _REGISTRY


def get(name: str) -> Network:
    """The network called `name`, or UnknownNameError with the closest name."""
    _load_builtin()
    if name not in _REGISTRY and _FALLBACK and _FALLBACK[0](name) and name in _REGISTRY:
        return _REGISTRY[name]
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            "architecture", name, _REGISTRY.keys(), hint="`mnx list` shows all networks"
        ) from None
