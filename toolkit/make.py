"""`ensure_trained`: the one "train unless a current model exists" step of every workflow
(pipeline, reproduce, studies), decided by the store like `make` decides a target."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mnx.toolkit.data import Mnist
    from mnx.toolkit.train import TrainConfig, TrainResult


@dataclass(frozen=True)
class Trained:
    result: TrainResult
    ran: bool  # False: a current model was reused
    seconds: float


def ensure_trained(
    name: str,
    configs: Sequence[TrainConfig],
    root: Path,
    data: Mnist,
    say: Callable[[str], None] = lambda _m: None,
) -> Trained:
    """Reuse <root>/<name>/model.keras when the store trusts it and it was trained with any of
    `configs` on `data`; else train with `configs[0]`."""
    from mnx.toolkit.train import is_trained_current, read_train_result, train

    start = time.perf_counter()
    if any(is_trained_current(name, root, c, data.sha256) for c in configs):
        say(f"{name}: trained model is current, not retraining")
        return Trained(read_train_result(name, root), False, time.perf_counter() - start)
    say(f"{name}: training...")
    result = train(name, configs[0], root, data=data)
    return Trained(result, True, time.perf_counter() - start)
