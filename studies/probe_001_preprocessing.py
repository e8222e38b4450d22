"""Probe notebook 001's lost preprocessing: train a 001 network for a few epochs under each
candidate and print its per-epoch figures, to hold against the notebook's visible training logs.

Notebook 001's code says only "we would be using the built in function for normalizing"; the
axis of `keras.utils.normalize` is lost (docs/catalog.md). mnx's recipe uses axis=1 (the tutorial
idiom). Used for issue 7's m31_k3 difference; results in results/reproduce/.

    python scripts/probe_001_preprocessing.py m31_k3 axis1 0 4   # network variant seed epochs

variants: axis1 (mnx's recipe), axis-1 (Keras's default axis), div255. Appends one JSON line per
run to --out (default: stdout only). One TF thread each, so it can run beside other work.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VARIANTS = ("axis1", "axis-1", "div255")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("network")
    ap.add_argument("variant", choices=VARIANTS)
    ap.add_argument("seed", type=int)
    ap.add_argument("epochs", type=int)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    import keras
    import numpy as np
    import tensorflow as tf

    from mnx.architectures import registry
    from mnx.toolkit.data import load_mnist
    from mnx.toolkit.data.preprocess import keras_normalize

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    net = registry.get(args.network)
    recipe = net.recipe
    data = load_mnist()

    def prep(x: np.ndarray) -> np.ndarray:
        x = x.reshape(len(x), 28, 28)
        if args.variant == "axis1":
            out = keras_normalize(x, axis=1)
        elif args.variant == "axis-1":
            out = keras_normalize(x, axis=-1)
        else:
            out = x.astype(np.float32) / 255
        return out.astype(np.float32).reshape(len(x), 28, 28, 1)

    keras.utils.set_random_seed(args.seed)
    model = net.build()
    model.compile(optimizer=recipe.make_optimizer(), loss=recipe.make_loss(), metrics=["accuracy"])
    start = time.time()
    hist = model.fit(
        prep(data.x_train),
        keras.utils.to_categorical(data.y_train, 10),
        epochs=args.epochs,
        batch_size=recipe.batch_size,
        validation_data=(prep(data.x_test), keras.utils.to_categorical(data.y_test, 10)),
        verbose=0,
    )
    record = {
        "net": args.network,
        "variant": args.variant,
        "seed": args.seed,
        "s": round(time.time() - start, 1),
        **{k: [round(float(v), 4) for v in vs] for k, vs in hist.history.items()},
    }
    line = json.dumps(record)
    print(line)
    if args.out:
        with args.out.open("a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
