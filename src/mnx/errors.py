"""Typed errors. Library code raises these; only the CLI turns them into messages and exit codes.

Every message answers three questions: what happened, what was expected, how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MnxError(Exception):
    """A failure the user can act on. `exit_code` is 1 (runtime) unless a subclass says 2 (usage)."""

    exit_code = 1

    def __init__(self, what: str, expected: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.expected = expected
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        parts = [_sentence(self.what)]
        if self.expected:
            parts.append("Expected: " + _sentence(self.expected))
        if self.fix:
            parts.append("Fix: " + _sentence(self.fix))
        return " ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


class UsageError(MnxError):
    """Bad command-line input: unknown name, bad flag value."""

    exit_code = 2


class ConfigError(UsageError):
    """An option or config field out of its range or inconsistent with another (exit 2).
    Library configs (BenchConfig, ...) raise it from their validation, so the CLI can tell a
    user's mistake from a bug (a bare ValueError is a bug, never a usage error)."""


class UnknownNameError(ConfigError):
    """An unknown architecture, backend, precision... with a did-you-mean suggestion."""

    def __init__(
        self, kind: str, name: str, choices: Iterable[str], hint: str | None = None
    ) -> None:
        choices = sorted(choices)
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
        what = f"Unknown {kind} '{name}'"
        if close:
            what += f". Did you mean '{close[0]}'?"
        shown = ", ".join(choices[:12]) + (
            f" and {len(choices) - 12} more" if len(choices) > 12 else ""
        )
        super().__init__(what, expected=f"one of: {shown}", fix=hint)
        self.name = name
        self.suggestion = close[0] if close else None


class DataError(MnxError):
    """MNIST missing, unreachable, corrupt or truncated."""


class MissingArtifactError(MnxError):
    """An artifact a command needs does not exist yet."""


class StaleArtifactError(MnxError):
    """An artifact exists but was made from something else (source changed, other GPU/TensorRT)."""


class CorruptArtifactError(MnxError):
    """A file exists but cannot be read as what it claims to be."""


class MissingDependencyError(MnxError):
    """An optional dependency (onnxruntime, TensorRT, CUDA) is not installed or not usable."""


class ExportError(MnxError):
    """A model could not be exported, or failed its parity check."""


class ArtifactsDirError(MnxError):
    """The artifacts directory cannot be created or written."""
