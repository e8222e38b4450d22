"""manifest.json: one per network directory, `{"artifacts": {filename: record}}`.

Writers change it under an exclusive lock (two commands recording different files both keep
their record) and replace it atomically. A reader that finds it unreadable gets `None`: nothing
in the directory is trusted until the commands that make the files write it again. A writer
that finds it unreadable keeps the bad copy beside it (`manifest.json.unreadable`) and starts
an empty one, so every file not rebuilt since stays untrusted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mnx.toolkit.artifacts import ensure_dir, utc_now, write_json_atomic

MANIFEST = "manifest.json"
LOCK = ".manifest.lock"
UNREADABLE_SUFFIX = ".unreadable"


def read_manifest(net_dir: Path) -> dict[str, Any] | None:
    """The records of `net_dir` ({} when there is no manifest), or None when it is unreadable."""
    path = net_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    arts = data.get("artifacts") if isinstance(data, dict) else None
    if not isinstance(arts, dict) or not all(isinstance(r, dict) for r in arts.values()):
        return None
    return arts


@contextlib.contextmanager
def _locked(net_dir: Path) -> Iterator[None]:
    ensure_dir(net_dir)
    with open(net_dir / LOCK, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def update(net_dir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply `change` to the records under the lock and write the manifest atomically."""
    with _locked(net_dir):
        arts = read_manifest(net_dir)
        if arts is None:
            path = net_dir / MANIFEST
            os.replace(path, path.with_name(MANIFEST + UNREADABLE_SUFFIX))
            arts = {}
        change(arts)
        write_json_atomic(net_dir / MANIFEST, {"artifacts": arts})


def record(
    net_dir: Path,
    filename: str,
    *,
    sha256: str,
    size_bytes: int,
    inputs: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the record of `net_dir/filename` (which must already hold the bytes `sha256`)."""
    first = next(iter(inputs.items()), None)
    rec: dict[str, Any] = {
        "sha256": sha256,
        "bytes": size_bytes,
        "network": net_dir.name,
        "inputs": dict(inputs),
        # "source" (the first input) is what records written before the store carried.
        "source": {"file": first[0], "sha256": first[1]} if first else None,
        "options": normalized(options or {}),
        "versions": dict(versions or {}),
        "created": utc_now(),
        **(extra or {}),
    }
    update(net_dir, lambda arts: arts.__setitem__(filename, rec))
    return rec


def remove_record(net_dir: Path, filename: str) -> None:
    if (net_dir / MANIFEST).exists():
        update(net_dir, lambda arts: arts.pop(filename, None))


def normalized(options: Mapping[str, Any]) -> Any:
    """Options as they read back from JSON, so a recorded and an asked-for set compare equal."""
    return json.loads(json.dumps(dict(options), sort_keys=True, default=str))
