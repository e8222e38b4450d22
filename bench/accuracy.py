"""Accuracy on the test set, and agreement with the Keras FP32 reference.

The reference (Keras FP32 probabilities on the test images) is toolkit.reference's: computed
once per model and cached in the store, so a retrained model or an edited cache is never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnx.toolkit.runners.base import Runner

EVAL_BATCH = 256


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
    """Keras FP32 probabilities for `x` from the trusted model.keras at `model_path` (cached in
    the store when `cache_dir` is given; see toolkit.reference). StaleArtifactError when the
    store does not trust the model."""
    from mnx.toolkit.keras_model import load_keras
    from mnx.toolkit.reference import keras_reference as shared
    from mnx.toolkit.store import require_current

    net_dir = model_path.parent
    verdict = require_current(net_dir, model_path.name, net_dir.name)
    assert verdict.sha256 is not None
    return shared(
        net_dir,
        verdict.sha256,
        x,
        data_sha,
        lambda: load_keras(model_path),
        disk=cache_dir is not None,
    )
