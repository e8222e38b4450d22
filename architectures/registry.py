"""The model zoo registry: one decorated builder function per network.

    @register("cnn9", seed="004", section="Model 9", family=Family.CNN,
              reported_accuracy=0.9954, params=3_210_378, recipe=Recipe(...))
    def cnn9() -> keras.Model: ...

A user adds an architecture by decorating one builder in architectures/ or in a file passed with
`mnx --arch-file my_nets.py ...`; nothing else changes.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from mnx.architectures.recipe import InputLayout, Recipe
from mnx.errors import UnknownNameError, UsageError


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
        model = self.builder()
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
    spec = importlib.util.spec_from_file_location(f"mnx_user_arch_{p.stem}", p)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


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
