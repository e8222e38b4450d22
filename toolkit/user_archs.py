"""User architectures (`mnx --arch-file my_nets.py train my_net`) remembered with their artifacts.

Training a network whose builder came from an arch file writes `<root>/<name>/arch_file.json`
(the file's absolute path and sha256). Later commands that meet the name unregistered (`mnx
export my_net`, `bench my_net`, `show my_net`, `bench --all`) re-register it from that file —
only when the file is still there with the same bytes; a moved or changed file is one clear
error naming the fix, never a silent load of other code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mnx.errors import MissingArtifactError, StaleArtifactError

ARCH_RECORD = "arch_file.json"
USER_MODULE_PREFIX = "mnx_user_arch_"  # architectures.registry.load_arch_file's module names


def arch_file_of(name: str) -> Path | None:
    """The --arch-file that registered network `name` in this process, or None (built-in)."""
    from mnx import architectures

    module = architectures.get(name).builder.__module__
    if not module.startswith(USER_MODULE_PREFIX):
        return None
    file = getattr(sys.modules.get(module), "__file__", None)
    return Path(file).resolve() if file else None


def remember(name: str, net_dir: Path) -> None:
    """Record the arch file of `name` (if it has one) next to its trained model."""
    from mnx.toolkit.artifacts import sha256_file, utc_now, write_json_atomic

    path = arch_file_of(name)
    if path is None or not path.is_file():
        return
    record = {"name": name, "path": str(path), "sha256": sha256_file(path), "recorded": utc_now()}
    write_json_atomic(net_dir / ARCH_RECORD, record)


def remembered_names(root: Path) -> list[str]:
    """Trained networks under `root` that were registered from an arch file, sorted."""
    if not root.is_dir():
        return []
    return sorted(
        d.name
        for d in root.iterdir()
        if (d / ARCH_RECORD).is_file() and (d / "model.keras").is_file()
    )


def restore(name: str, root: Path) -> bool:
    """Register `name` from its recorded arch file; False when nothing is recorded for it.

    Raises MissingArtifactError when the file has moved, StaleArtifactError when it changed.
    """
    from mnx.architectures.registry import load_arch_file
    from mnx.toolkit.artifacts import read_json, sha256_file

    record_path = root / name / ARCH_RECORD
    if "/" in name or name.startswith(".") or not record_path.is_file():
        return False
    rec = read_json(record_path)
    path = Path(str(rec.get("path", "")))
    sha = str(rec.get("sha256", ""))
    if not path.is_file():
        raise MissingArtifactError(
            f"'{name}' was trained from the architecture file '{path}', which no longer exists "
            "there",
            expected=f"the --arch-file it was trained from, at the path recorded in {record_path}",
            fix=f"pass its new path: `mnx --arch-file NEW_PATH ... {name}` (training again "
            "records the new path)",
        )
    now = sha256_file(path)
    if now != sha:
        raise StaleArtifactError(
            f"'{name}' was trained from '{path}' (sha256 {sha[:12]}), which has changed since "
            f"(now {now[:12]})",
            expected="the architecture file as it was when the network was trained",
            fix=f"retrain with `mnx --arch-file {path} train {name}`, or pass "
            f"`--arch-file {path}` explicitly to use the file as it is now",
        )
    load_arch_file(path)
    from mnx.architectures.registry import is_registered

    return is_registered(name)


def install(root: Path) -> None:
    """Let the registry find remembered user networks under `root` by name."""
    from mnx.architectures.registry import set_fallback

    set_fallback(lambda name: restore(name, root))
