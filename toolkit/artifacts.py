"""Where artifacts live, atomic writes and checksums; records and trust are toolkit.store's.

Layout (see artifacts/README.md):

    <root>/<network>/model.keras, history.json, train.json, manifest.json, plots/*.png
    <root>/<network>/model.fp32.onnx, model.fp16.onnx, model.int8.onnx, model.int8.u8.onnx, ...
    <root>/bench/<timestamp>.json/.csv/.md
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mnx.errors import ArtifactsDirError, CorruptArtifactError

ENV_ARTIFACTS = "MNX_ARTIFACTS"


def artifacts_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The artifacts root: explicit flag, then $MNX_ARTIFACTS, then ./artifacts."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_ARTIFACTS)
    return Path(env) if env else Path("artifacts")


def ensure_dir(path: Path, what: str = "the artifacts directory") -> Path:
    """Create `path` (and parents) and check it is writable, or raise ArtifactsDirError."""
    fix = (
        "pass --artifacts DIR or set MNX_ARTIFACTS to a writable directory"
        if what == "the artifacts directory"
        else "choose a path in a directory you can write to"
    )
    _no_file_above(path, what, fix)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArtifactsDirError(
            f"Cannot create {what} '{path}' ({exc.strerror or exc})",
            expected="a directory mnx can write to",
            fix=fix,
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise ArtifactsDirError(
            f"{what[0].upper()}{what[1:]} '{path}' is not writable",
            expected="a directory mnx can write to",
            fix=fix,
        )
    return path


def _no_file_above(path: Path, what: str, fix: str) -> None:
    """ArtifactsDirError when `path` or a parent is a regular file: then nothing under it can
    exist, and "not trained" or "not exported" would be the wrong story."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise ArtifactsDirError(
                    f"'{p}' is a file, so it cannot be {what}"
                    if p == path
                    else f"'{p}' is a file, so {what} '{path}' cannot be created under it",
                    expected="a directory (or a path that can become one)",
                    fix=fix,
                )
            return


def network_dir(name: str, root: Path | None = None, create: bool = False) -> Path:
    """<root>/<name>, for a valid network name (one path component, not a reserved folder)."""
    from mnx.architectures.registry import check_name

    base = root or artifacts_root()
    path = base / check_name(name)
    if create:
        return ensure_dir(path)
    _no_file_above(base, "the artifacts directory", "pass --artifacts DIR or set MNX_ARTIFACTS")
    return path


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sha256_file(path: Path) -> str:
    from mnx.toolkit.store.hashing import sha256_file as cached

    return cached(path)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path beside `target`; on success rename it over `target`, else delete it.

    An interrupted command (Ctrl-C, crash) therefore never leaves a half-written file under the
    final name. The temp name keeps the suffix so libraries that dispatch on it (Keras's
    `.keras`, ONNX) still work.
    """
    ensure_dir(target.parent, what=f"the directory of '{target.name}'")
    # Keep every suffix (".weights.h5", ".fp32.onnx"): some writers check the full ending.
    base = target.name.split(".")[0] or "artifact"
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{base}.", suffix=".tmp" + "".join(target.suffixes), dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600; give the final file the permissions a plain open() would (umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: Path, text: str) -> None:
    write_bytes_atomic(target, text.encode("utf-8"))


def write_json_atomic(target: Path, obj: Any) -> None:
    write_text_atomic(target, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CorruptArtifactError(
            f"'{path}' is not valid JSON ({exc.msg} at line {exc.lineno})",
            expected="a JSON file written by mnx",
            fix="re-run the command that makes it (it replaces the file)",
        ) from exc


# --- records: thin aliases over toolkit.store (kept for callers written before the store) ------


def load_manifest(net_dir: Path) -> dict[str, Any]:
    """{"artifacts": records}; an unreadable manifest reads as no records (nothing trusted)."""
    from mnx.toolkit.store import read_manifest

    return {"artifacts": read_manifest(net_dir) or {}}


def record_artifact(
    net_dir: Path,
    filename: str,
    *,
    source: Path | None = None,
    options: dict[str, Any] | None = None,
    versions: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record `net_dir/filename` as it is now, made from `source` as it is now. New writers use
    `toolkit.store.build`, which records the input bytes as read at build start."""
    from mnx.toolkit.store import record

    target = net_dir / filename
    inputs = {source.name: sha256_file(source)} if source is not None else {}
    return record(
        net_dir,
        filename,
        sha256=sha256_file(target),
        size_bytes=target.stat().st_size,
        inputs=inputs,
        options=options,
        versions=versions,
        extra=extra,
    )


def artifact_record(net_dir: Path, filename: str) -> dict[str, Any] | None:
    return load_manifest(net_dir)["artifacts"].get(filename)
