"""Test-only fault injection: `MNX_FAULT_POINT=point[:file]` makes the process SIGKILL itself
when the store reaches `point` (for `file`, if given). The fault-injection test uses it to stop
a real `mnx train` / `mnx export` at exact steps of a commit; unset, it costs one dict lookup."""

from __future__ import annotations

import os
import signal

FAULT_ENV = "MNX_FAULT_POINT"
# built: temp file written and verified, not renamed; renamed: final name, old record;
# recorded: final name and new record.
POINTS = ("built", "renamed", "recorded")


def fault_point(point: str, filename: str) -> None:
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    name, _, target = wanted.partition(":")
    if name == point and (not target or target == filename):
        os.kill(os.getpid(), signal.SIGKILL)
