"""Cut a small, stratified, seeded subset of the verified full set (the committed test data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mnx.toolkit.data.checksums import ARRAY_NAMES, array_sha256, dataset_id
from mnx.toolkit.data.mnist import META_FORMAT, META_VERSION, Mnist, write_npz


def stratified_indices(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` indices with (as near as possible) n/10 per class, sorted to keep the original order."""
    classes = np.unique(labels)
    per_class = np.full(len(classes), n // len(classes))
    per_class[: n % len(classes)] += 1
    picked = [
        rng.choice(np.flatnonzero(labels == c), size=k, replace=False)
        for c, k in zip(classes, per_class, strict=True)
    ]
    return np.sort(np.concatenate(picked))


def make_subset(full: Mnist, n_train: int, n_test: int, seed: int = 0) -> tuple[dict, dict]:
    """The subset's arrays (the four + their indices into the full set) and its metadata."""
    if full.subset:
        raise ValueError("make_subset needs the full MNIST set, got a subset")
    if not (0 < n_train <= len(full.y_train) and 0 < n_test <= len(full.y_test)):
        raise ValueError(f"n_train/n_test out of range: {n_train}, {n_test}")
    rng = np.random.default_rng(seed)
    train_idx = stratified_indices(full.y_train, n_train, rng)
    test_idx = stratified_indices(full.y_test, n_test, rng)
    arrays = {
        "x_train": full.x_train[train_idx],
        "y_train": full.y_train[train_idx],
        "x_test": full.x_test[test_idx],
        "y_test": full.y_test[test_idx],
    }
    digests = {n: array_sha256(arrays[n]) for n in ARRAY_NAMES}
    meta: dict[str, Any] = {
        "format": META_FORMAT,
        "version": META_VERSION,
        "kind": "subset",
        "seed": seed,
        "n_train": n_train,
        "n_test": n_test,
        "cut_from": full.array_sha256,
        "cut_from_dataset_sha256": full.sha256,
        "indices": "train_indices/test_indices index the full set's train/test arrays",
        "sha256": digests,
        "dataset_sha256": dataset_id(digests),
        "train_label_counts": np.bincount(arrays["y_train"], minlength=10).tolist(),
        "test_label_counts": np.bincount(arrays["y_test"], minlength=10).tolist(),
    }
    arrays["train_indices"] = train_idx.astype(np.uint16)
    arrays["test_indices"] = test_idx.astype(np.uint16)
    return arrays, meta


def write_subset(full: Mnist, out: Path, n_train: int, n_test: int, seed: int = 0) -> dict:
    """Cut and atomically write the subset .npz; returns its metadata."""
    arrays, meta = make_subset(full, n_train, n_test, seed)
    write_npz(out, arrays, meta)
    return meta
