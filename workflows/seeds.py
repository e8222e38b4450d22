"""Where each seed's artifacts live, and the `--seeds` list.

Seed 0, the default of `mnx train`, keeps the plain layout `<root>/<network>/`, so every
existing model and command keeps its meaning. Another seed gets a whole artifacts root of its
own, `<root>/seed-<n>/<network>/`: every command works on it unchanged
(`mnx --artifacts artifacts/seed-1 export mlp_512_128`), and a network folder never holds
another seed's files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mnx.errors import UsageError

if TYPE_CHECKING:
    from mnx.toolkit.train import TrainConfig, TrainResult

DEFAULT_SEED = 0
MAX_SEED = 2**32 - 1  # numpy's legacy seeding takes 0 <= seed < 2**32


def seed_folder(seed: int) -> Path:
    """The seed's root relative to the artifacts root ('.' for the default seed)."""
    return Path(".") if seed == DEFAULT_SEED else Path(f"seed-{seed}")


def seed_root(root: Path, seed: int) -> Path:
    return root if seed == DEFAULT_SEED else root / seed_folder(seed)


def parse_seeds(text: str) -> tuple[int, ...]:
    """'0,1,2' or '0-4' or '0,5-7' -> seeds in the order given, without repeats."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        lo, sep, hi = part.partition("-")
        try:
            span = range(int(lo), int(hi) + 1) if sep else range(int(lo), int(lo) + 1)
        except ValueError:
            span = range(0)
        if not span or not 0 <= span[0] <= span[-1] <= MAX_SEED:
            raise UsageError(
                f"--seeds '{text}' is not a list of seeds ('{part}')",
                expected=f"seeds between 0 and {MAX_SEED}, e.g. 0,1,2 or 0-4",
                fix="pass e.g. --seeds 0,1,2",
            )
        seeds += [s for s in span if s not in seeds]
    return tuple(seeds)


@dataclass(frozen=True)
class SeedRun:
    seed: int
    result: TrainResult
    trained_now: bool


def train_seeds(
    name: str,
    config: TrainConfig,
    root: Path,
    seeds: Sequence[int],
    *,
    restart: bool = False,
    say: Callable[[str], None] = lambda _m: None,
) -> list[SeedRun]:
    """`mnx train NAME --seeds ...`: one training per seed in its seed's root, in this process.
    A seed whose model is current (same recipe, config and data) is reused, so an interrupted
    command continues with the seed it stopped in; `restart` retrains every seed."""
    from dataclasses import replace

    from mnx.toolkit.data import load_mnist
    from mnx.toolkit.train import train
    from mnx.workflows.steps import train_or_reuse

    data = load_mnist()
    runs = []
    for i, seed in enumerate(seeds, 1):
        where, cfg = seed_root(root, seed), replace(config, seed=seed)
        say(f"[{i}/{len(seeds)}] {name} seed {seed} -> {where / name}")
        if restart:
            runs.append(SeedRun(seed, train(name, cfg, where, data=data, resume=False), True))
        else:
            runs.append(SeedRun(seed, *train_or_reuse(name, cfg, where, data)))
    return runs
