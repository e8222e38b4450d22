"""The runner template: final load()/close() around _load()/_close(); only the base sets
`is_loaded`; a subclass overriding load() or close() is refused when it is defined."""

from __future__ import annotations

import numpy as np
import pytest

from mnx.toolkit.runners.base import Runner


class Recording(Runner):
    backend = "fake"

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.events: list[str] = []

    def _load(self) -> None:
        self.events.append("load")
        if self.fail:
            raise RuntimeError("cannot load")

    def _close(self) -> None:
        self.events.append("close")

    def infer(self, x: np.ndarray) -> np.ndarray:
        return np.zeros((len(x), 10), np.float32)


def test_context_manager_loads_once_and_closes() -> None:
    r = Recording()
    with r as same:
        assert same is r and r.is_loaded
        r.load()  # idempotent: a loaded runner is not loaded again
    assert r.events == ["load", "close"] and not r.is_loaded
    assert r.max_batch is None and r.model_file is None and r.expected_providers() == []


def test_failed_load_leaves_it_unloaded() -> None:
    r = Recording(fail=True)
    with pytest.raises(RuntimeError, match="cannot load"):
        r.load()
    assert not r.is_loaded
    r.close()  # safe after a failed load
    assert r.events == ["load", "close"]


def test_overriding_the_final_methods_is_refused() -> None:
    with pytest.raises(TypeError, match=r"overrides Runner.load\(\); implement _load\(\)"):

        class _Bad(Runner):  # noqa: F841
            def load(self) -> None: ...

            def infer(self, x: np.ndarray) -> np.ndarray:
                return x
