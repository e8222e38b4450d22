"""sha256 of files, cached per process by (inode, size, mtime_ns, ctime_ns): a reader verifies
every file it uses without hashing an unchanged file twice."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_CACHE: dict[tuple[str, int, int, int, int], str] = {}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    st = os.stat(path)
    key = (str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    _CACHE[key] = digest.hexdigest()
    return _CACHE[key]
