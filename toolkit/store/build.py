"""Writing through the store: `snapshot` an input, `build` an output.

The commit order makes a kill at any point safe: the file is written and verified under a
temporary name, renamed into place, and only then recorded with its sha256. Killed before the
rename, the old file and record stand; killed between rename and record, the old record names
other bytes, so the new file is not trusted (a re-run rebuilds it); a concurrent writer that
renames last without recording last leaves the same mismatch, never a wrong "current".
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mnx.toolkit.artifacts import atomic_path
from mnx.toolkit.store.faults import fault_point
from mnx.toolkit.store.hashing import sha256_file
from mnx.toolkit.store.manifest import record


@dataclass(frozen=True)
class Snapshot:
    """A private copy of an input, taken once at build start, and the sha256 of those bytes."""

    name: str
    path: Path
    sha256: str


def snapshot(source: Path, into: Path) -> Snapshot:
    """Copy `source` into the directory `into` (same file name) and hash the copied bytes: what
    is built from the copy is exactly what its record will name, whatever happens to `source`."""
    data = source.read_bytes()
    copy = into / source.name
    copy.write_bytes(data)
    return Snapshot(source.name, copy, hashlib.sha256(data).hexdigest())


@dataclass
class Build:
    """One output under construction: write `path`, verify it, put what the record should
    carry beyond the standard fields into `extra`."""

    path: Path
    extra: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None  # of the committed file, set once it is in place and recorded


@contextlib.contextmanager
def build(
    net_dir: Path,
    filename: str,
    *,
    inputs: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
) -> Iterator[Build]:
    """Yield a Build whose temporary `path` becomes `net_dir/filename` with its record when the
    block ends without an exception (then, and only then). `inputs` maps each input's file name
    (relative to `net_dir`) to the sha256 of the bytes the build read."""
    target = net_dir / filename
    with atomic_path(target) as tmp:
        job = Build(tmp)
        yield job
        sha, size = sha256_file(tmp), tmp.stat().st_size
        fault_point("built", filename)
    # atomic_path has renamed the verified file into place.
    fault_point("renamed", filename)
    record(
        net_dir,
        filename,
        sha256=sha,
        size_bytes=size,
        inputs=inputs,
        options=options,
        versions=versions,
        extra=job.extra,
    )
    job.sha256 = sha
    fault_point("recorded", filename)
