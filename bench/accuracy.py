"""Accuracy on the test set, and agreement with the Keras FP32 reference.

The reference (Keras FP32 probabilities on the test images) is computed once per network and
cached in memory and on disk under `<root>/<name>/bench_cache/`, keyed by the sha256 of
model.keras and of the evaluated images, so a retrained model never reuses old references.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnx.toolkit.runners.base import Runner

EVAL_BATCH = 256

_MEMORY: dict[tuple[str, str], np.ndarray] = {}


@dataclass(frozen=True)
class AccuracyResult:
    images: int
    accuracy: float  # fraction of test images classified correctly
    agreement: float  # fraction whose top-1 equals the Keras FP32 reference's top-1
    max_abs_diff: float  # max |p - p_ref| over all images and classes


def predict_all(runner: Runner, x: np.ndarray, batch_size: int = EVAL_BATCH) -> np.ndarray:
    """Run `x` through `runner` in batches; returns (N, 10) float32."""
    out = [
        np.asarray(runner.infer(x[i : i + batch_size]), dtype=np.float32)
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out, axis=0)


def score(probs: np.ndarray, labels: np.ndarray, reference: np.ndarray) -> AccuracyResult:
    """Accuracy vs labels, top-1 agreement and max |diff| vs the reference probabilities."""
    if probs.shape != reference.shape:
        raise ValueError(f"outputs {probs.shape} and reference {reference.shape} differ in shape")
    top1 = probs.argmax(axis=1)
    return AccuracyResult(
        images=int(len(labels)),
        accuracy=float((top1 == labels).mean()),
        agreement=float((top1 == reference.argmax(axis=1)).mean()),
        max_abs_diff=float(np.abs(probs.astype(np.float64) - reference).max()),
    )


def keras_reference(
    model_path: Path, x: np.ndarray, data_sha: str, cache_dir: Path | None
) -> np.ndarray:
    """Keras FP32 probabilities for `x` (cached by model and data checksums)."""
    from mnx.toolkit.artifacts import sha256_bytes, sha256_file, write_bytes_atomic

    key = (sha256_file(model_path), sha256_bytes(data_sha.encode() + str(x.shape).encode()))
    if key in _MEMORY:
        return _MEMORY[key]
    cache = cache_dir / f"keras_ref.{key[0][:16]}.{key[1][:16]}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        try:
            ref = np.load(cache, allow_pickle=False)
            if ref.shape == (len(x), 10):
                _MEMORY[key] = ref
                return ref
        except (OSError, ValueError):
            pass  # a damaged cache is recomputed and overwritten below
    from mnx.toolkit.runners.keras_runner import KerasRunner

    with KerasRunner(model_path) as runner:
        ref = predict_all(runner, x, batch_size=1000)
    _MEMORY[key] = ref
    if cache is not None:
        import io

        buf = io.BytesIO()
        np.save(buf, ref, allow_pickle=False)
        write_bytes_atomic(cache, buf.getvalue())
    return ref
