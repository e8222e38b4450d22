"""The artifact store: the one place that writes artifacts and decides whether one is trusted.

A file is built under a temporary name, verified by its caller (onnx.checker, parity), and only
then renamed into place and recorded (`build`). Its record names the file's sha256 and the
sha256 of every input as it was read when the build started (`snapshot`). A reader asks
`verify`: a file is current only when it matches its record, its record matches the options
asked for, and every input is itself current with the recorded bytes — down to model.keras,
whose record is written by `mnx train` (or source.keras, adopted by `mnx export FILE.keras`).
A missing or unreadable manifest means that nothing is current, never that everything is. See artifacts/README.md for the layout.
"""

from mnx.toolkit.store.build import Build, build, snapshot
from mnx.toolkit.store.faults import FAULT_ENV, fault_point
from mnx.toolkit.store.manifest import MANIFEST, read_manifest, record, remove_record
from mnx.toolkit.store.verify import Reason, Verdict, require_current, verify

__all__ = [
    "FAULT_ENV",
    "MANIFEST",
    "Build",
    "Reason",
    "Verdict",
    "build",
    "fault_point",
    "read_manifest",
    "record",
    "remove_record",
    "require_current",
    "snapshot",
    "verify",
]
