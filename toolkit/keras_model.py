"""`load_keras`: the one loader of saved Keras models (export, bench, show, train's readers).

Errors say what is wrong with the file: missing, not a .keras archive (truncated, another kind
of file), or an archive Keras cannot rebuild — never a bare "File not found" from deep inside
Keras for a file that exists.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from mnx.errors import CorruptArtifactError, MissingArtifactError, MissingDependencyError


def load_keras(path: Path, network: str | None = None) -> Any:
    """The model saved at `path`, without its optimizer (compile=False)."""
    name = network or path.parent.name
    check_archive(path, name)
    keras = import_keras()

    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # h5py, JSON, zip, deserialization errors all mean "not loadable"
        detail = str(exc).splitlines()[0][:200] if str(exc) else "no detail"
        raise CorruptArtifactError(
            f"'{path}' cannot be loaded as a Keras model ({type(exc).__name__}: {detail})",
            expected="a .keras file saved by `mnx train` for this network",
            fix=f"run `mnx train {name}` (it replaces the file)",
        ) from exc


def check_archive(path: Path, name: str) -> None:
    """MissingArtifactError / CorruptArtifactError unless `path` is a file in .keras (zip) form:
    the cheap check that names the real problem before any record is consulted."""
    if not path.is_file():
        raise MissingArtifactError(
            f"'{name}' has not been trained: '{path}' does not exist",
            expected="model.keras written by `mnx train`",
            fix=f"run `mnx train {name}` first (add --epochs 1 for a quick model)",
        )
    if not zipfile.is_zipfile(path):
        raise CorruptArtifactError(
            f"'{path}' cannot be loaded as a Keras model: it is not a .keras (zip) archive "
            "(truncated, or another kind of file)",
            expected="a .keras file saved by `mnx train`",
            fix=f"run `mnx train {name}` (it replaces the file)",
        )


def import_keras() -> Any:
    """`keras`, or MissingDependencyError when it (or its TensorFlow backend) cannot import."""
    try:
        import keras
    except ImportError as exc:
        raise MissingDependencyError(
            f"Keras cannot be imported ({exc})",
            expected="keras and tensorflow installed in this Python environment",
            fix="pip install mnx (it installs tensorflow and keras), or repair that install",
        ) from exc
    return keras
