"""One row per registered network, for `mnx list`: no model is built, nothing heavy is imported."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mnx.architectures.registry import Family, Network, all_networks

TRAINED_FILE = "model.keras"  # what `mnx train` writes under <root>/<name>/


@dataclass(frozen=True)
class ZooEntry:
    """A network's catalog facts plus whether it is trained under an artifacts root."""

    name: str
    seed: str
    section: str
    family: str
    params: int | None  # the catalog's count (checked against the built model by the tests)
    reported_accuracy: float | None  # fraction, e.g. 0.9954
    optimizer: str
    learning_rate: float
    epochs: int
    batch_size: int
    preprocessing: str
    layout: str
    catalog_slug: str
    description: str
    trained: bool
    #: what a run trained short of its recipe ("1 of 20 epochs, 2,000 training images"), as
    #: train.json records it; None for a full run or an untrained network
    partial: str | None = None

    @property
    def reported_accuracy_pct(self) -> float | None:
        return None if self.reported_accuracy is None else 100.0 * self.reported_accuracy

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _entry(net: Network, root: Path | None) -> ZooEntry:
    r = net.recipe
    return ZooEntry(
        name=net.name,
        seed=net.seed,
        section=net.section,
        family=net.family.value,
        params=net.params,
        reported_accuracy=net.reported_accuracy,
        optimizer=r.optimizer,
        learning_rate=r.learning_rate,
        epochs=r.epochs,
        batch_size=r.batch_size,
        preprocessing=r.preprocessing.value,
        layout=net.layout.value,
        catalog_slug=net.catalog_slug,
        description=net.description,
        trained=root is not None and (root / net.name / TRAINED_FILE).is_file(),
        partial=_partial(root / net.name) if root is not None else None,
    )


def _partial(net_dir: Path) -> str | None:
    """train.json's `partial` note (json read directly: this layer imports no toolkit)."""
    import json

    try:
        value = json.loads((net_dir / "train.json").read_text(encoding="utf-8")).get("partial")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def zoo_overview(
    root: Path | None = None, *, family: Family | str | None = None, seed: str | None = None
) -> list[ZooEntry]:
    """Every registered network in registration order, optionally filtered by family and seed
    notebook ("000".."004", or "user"); `trained` looks for <root>/<name>/model.keras."""
    fam = Family(family) if family is not None else None
    return [
        _entry(net, root)
        for net in all_networks()
        if (fam is None or net.family == fam) and (seed is None or net.seed == seed)
    ]
