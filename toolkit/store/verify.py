"""`verify`: is an artifact current? One answer with a typed reason, for every reader."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from mnx.errors import MissingArtifactError, StaleArtifactError
from mnx.toolkit.store.hashing import sha256_file
from mnx.toolkit.store.manifest import MANIFEST, normalized, read_manifest

MODEL_FILE = "model.keras"
TRAIN_RECORD = "train.json"  # written by `mnx train` after model.keras; names its sha256
TRAIN_PRODUCTS = (MODEL_FILE, "history.json", TRAIN_RECORD)  # what `mnx train` makes
# `mnx export FILE.keras` adopts the user's file as source.keras and writes source.json (the
# original path) last, recorded with source.keras's sha256 as input: the same pair as above.
SOURCE_FILE = "source.keras"
SOURCE_RECORD = "source.json"
# The root of a directory's input chain, and the record that completes it (written last).
ROOT_RECORDS = {MODEL_FILE: TRAIN_RECORD, SOURCE_FILE: SOURCE_RECORD}


class Reason(str, Enum):
    CURRENT = "current"
    MISSING = "missing"  # no file under that name
    NOT_A_FILE = "not-a-file"
    MANIFEST_UNREADABLE = "manifest-unreadable"  # nothing in the directory is trusted
    NO_RECORD = "no-record"  # made by hand, or a build was killed before its record
    FILE_CHANGED = "file-changed"  # the bytes differ from the record's sha256
    FOREIGN = "foreign"  # the record was written for another network's directory
    OPTIONS_CHANGED = "options-changed"  # made with other options than those asked for
    INPUT_CHANGED = "input-changed"  # an input is not current, or not the bytes recorded


@dataclass(frozen=True)
class Verdict:
    """Whether `filename` may be used; `broken` is the file at the root of the problem (itself,
    or an input down its chain), so the fix is the command that makes `broken`."""

    filename: str
    reason: Reason
    detail: str
    broken: str
    sha256: str | None = None  # of the file, when current
    record: Mapping[str, Any] | None = None

    @property
    def current(self) -> bool:
        return self.reason is Reason.CURRENT

    def fix(self, network: str, export_flags: str = "") -> str:
        """The command that makes the file current again."""
        export = f"mnx export {network}{export_flags}"
        if self.broken in TRAIN_PRODUCTS:
            then = "" if self.filename in TRAIN_PRODUCTS else f"` then `{export}"
            return f"mnx train {network}{then}"
        return export


def verify(net_dir: Path, filename: str, *, options: Mapping[str, Any] | None = None) -> Verdict:
    """The verdict on `net_dir/filename`; `options`, when given, must equal the recorded ones."""
    arts = read_manifest(net_dir)
    return _verify(net_dir, filename, options, arts, set())


def root_of(net_dir: Path) -> str:
    """The file every other file of `net_dir` is made from: source.keras in a directory made by
    `mnx export FILE.keras`, else model.keras."""
    return SOURCE_FILE if (net_dir / SOURCE_RECORD).is_file() else MODEL_FILE


def export_name(net_dir: Path, network: str) -> str:
    """What to pass to `mnx export` to remake `net_dir`: the network's name, or for a directory
    made from a Keras file the path that file was exported from (in source.json)."""
    try:
        path = json.loads((net_dir / SOURCE_RECORD).read_text(encoding="utf-8")).get("path")
    except (OSError, ValueError, AttributeError):
        return network
    return str(path) if path else network


def _verify(
    net_dir: Path,
    filename: str,
    options: Mapping[str, Any] | None,
    arts: dict[str, Any] | None,
    seen: set[str],
) -> Verdict:
    path, root = net_dir / filename, root_of(net_dir)

    def no(reason: Reason, detail: str, broken: str = filename) -> Verdict:
        return Verdict(filename, reason, detail, broken)

    if not path.exists():
        return no(Reason.MISSING, f"{filename} does not exist")
    if not path.is_file():
        return no(Reason.NOT_A_FILE, f"{filename} is not a regular file")
    if arts is None:
        return no(
            Reason.MANIFEST_UNREADABLE,
            f"{MANIFEST} cannot be read, so no file in '{net_dir}' is trusted",
            broken=root,
        )
    rec = arts.get(filename)
    if rec is None:
        # Fix the root first: with no trusted model, `mnx export` alone cannot help.
        untrusted_root = filename not in (*TRAIN_PRODUCTS, *ROOT_RECORDS.values(), root) and not (
            root in seen or _verify(net_dir, root, None, arts, seen).current
        )
        return no(
            Reason.NO_RECORD,
            f"{filename} has no record (not made by mnx, or interrupted)",
            broken=root if untrusted_root else filename,
        )
    sha = sha256_file(path)
    if rec.get("sha256") != sha:
        return no(Reason.FILE_CHANGED, f"{filename} is not the file mnx recorded")
    if rec.get("network", net_dir.name) != net_dir.name:
        return no(Reason.FOREIGN, f"{filename} was recorded for '{rec.get('network')}'")
    if options is not None and rec.get("options") != normalized(options):
        return no(Reason.OPTIONS_CHANGED, f"{filename} was made with other options")
    if filename in ROOT_RECORDS and not _has_root_record(net_dir, arts, filename, sha):
        made = "training" if filename == MODEL_FILE else "adoption by `mnx export FILE.keras`"
        return no(
            Reason.NO_RECORD,
            f"{filename} has no completed {made} record ({ROOT_RECORDS[filename]} is missing, "
            f"changed or made for another model: copied in, or the command was interrupted)",
        )
    seen = seen | {filename}
    for name, want in _inputs(rec).items():
        if name in seen:
            return no(Reason.INPUT_CHANGED, f"{filename}'s record has an input loop")
        dep = _verify(net_dir, name, None, arts, seen)
        if not dep.current:
            return Verdict(filename, Reason.INPUT_CHANGED, dep.detail, dep.broken)
        if dep.sha256 != want:
            return no(Reason.INPUT_CHANGED, f"{name} changed since {filename} was made")
    return Verdict(filename, Reason.CURRENT, f"{filename} is current", filename, sha, rec)


def _has_root_record(net_dir: Path, arts: dict[str, Any], root: str, model_sha: str) -> bool:
    """model.keras counts as trained only with its train.json (source.keras as adopted only with
    its source.json): recorded, unchanged, and made from these model bytes (written last, so a
    killed run leaves no such pair)."""
    companion = ROOT_RECORDS[root]
    rec, path = arts.get(companion), net_dir / companion
    if not path.is_file():
        return False
    if rec is None:
        if root != MODEL_FILE:
            return False
        # Written before the store recorded train.json: its own model_sha256 vouches, as then.
        try:
            return bool(
                json.loads(path.read_text(encoding="utf-8")).get("model_sha256") == model_sha
            )
        except (OSError, ValueError, AttributeError):
            return False
    return rec.get("sha256") == sha256_file(path) and _inputs(rec).get(root) == model_sha


def _inputs(rec: Mapping[str, Any]) -> dict[str, str]:
    inputs = rec.get("inputs")
    if isinstance(inputs, dict):
        return {str(k): str(v) for k, v in inputs.items()}
    src = rec.get("source") or {}  # a record from before the store: one "source"
    return {str(src["file"]): str(src.get("sha256"))} if src.get("file") else {}


def require_current(
    net_dir: Path,
    filename: str,
    network: str,
    *,
    options: Mapping[str, Any] | None = None,
    export_flags: str = "",
) -> Verdict:
    """The verdict when current, else MissingArtifactError / StaleArtifactError with the fix."""
    verdict = verify(net_dir, filename, options=options)
    if verdict.current:
        return verdict
    made_by = "`mnx train`" if filename in TRAIN_PRODUCTS else "`mnx export`"
    error = MissingArtifactError if verdict.reason is Reason.MISSING else StaleArtifactError
    raise error(
        f"'{network}': {verdict.detail}",
        expected=f"{net_dir / filename} as recorded by {made_by}",
        fix=f"run `{verdict.fix(export_name(net_dir, network), export_flags)}`",
    )
