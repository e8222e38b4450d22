"""Keras FP32 reference outputs: the one cache, shared by export's parity check and bench.

Outputs of model.keras on the test images are computed once and kept in memory and in the store
under `<net_dir>/bench_cache/keras_ref.<model>.<data>.npy`, recorded with model.keras's sha256
as input. A cached file is used only when the store trusts it (an edited file is recomputed,
never compared with), so Keras never "disagrees with itself" through a stale cache.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

CACHE_DIR = "bench_cache"
BATCH = 500  # predict_on_batch: model.predict adds ~50 ms of per-call overhead and a bar
MODEL_FILE = "model.keras"

_MEMORY: dict[tuple[str, str], np.ndarray] = {}


def cache_name(model_sha: str, data_key: str) -> str:
    return f"{CACHE_DIR}/keras_ref.{model_sha[:16]}.{data_key[:16]}.npy"


def keras_reference(
    net_dir: Path,
    model_sha: str,
    x: np.ndarray,
    data_sha: str,
    load_model: Callable[[], Any],
    *,
    disk: bool = True,
    model_file: str = MODEL_FILE,
) -> np.ndarray:
    """Outputs float32 (softmax (N, 10) for a registry network) of the model whose bytes hash to
    `model_sha` on `x`.

    `load_model` is called only when nothing trusted is cached. The caller has verified that
    `model_file` (model.keras, or source.keras for an exported Keras file) is current with
    `model_sha`."""
    from mnx.toolkit import store

    data_key = hashlib.sha256(data_sha.encode() + str(x.shape).encode()).hexdigest()
    key = (model_sha, data_key)
    if key in _MEMORY:
        return _MEMORY[key]
    name = cache_name(model_sha, data_key)
    options = {"data_sha256": data_sha, "shape": list(x.shape)}
    inputs = {model_file: model_sha}
    ref = _load_cached(net_dir, name, options, inputs, len(x)) if disk else None
    if ref is None:
        ref = predict(load_model(), x)
        if disk:
            buf = io.BytesIO()
            np.save(buf, ref, allow_pickle=False)
            with store.build(net_dir, name, inputs=inputs, options=options) as job:
                job.path.write_bytes(buf.getvalue())
    _MEMORY[key] = ref
    return ref


def _load_cached(
    net_dir: Path, name: str, options: dict[str, Any], inputs: dict[str, str], n: int
) -> np.ndarray | None:
    from mnx.toolkit import store

    verdict = store.verify(net_dir, name, options=options)
    if not verdict.current or (verdict.record or {}).get("inputs") != inputs:
        return None
    try:
        ref = np.load(net_dir / name, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return ref if ref.shape[:1] == (n,) and ref.dtype == np.float32 else None


def predict(model: Any, x: np.ndarray) -> np.ndarray:
    outs = [np.asarray(model.predict_on_batch(x[i : i + BATCH])) for i in range(0, len(x), BATCH)]
    return np.concatenate(outs).astype(np.float32)
