"""GPU / real-TensorRT tests: skipped with a reason where the hardware or library is absent,
but FAILED instead when MNX_REQUIRE_GPU=1 (the `tox -e gpu` run), so a GPU job that silently
ran nothing cannot pass."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

REQUIRE_ENV = "MNX_REQUIRE_GPU"


def _required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator:  # type: ignore[type-arg]
    outcome = yield
    report = outcome.get_result()
    marked = item.get_closest_marker("gpu") or item.get_closest_marker("tensorrt")
    if report.skipped and marked and _required() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_ENV}=1 but this GPU test was skipped: {reason}"


@pytest.fixture
def tensorrt_module():  # type: ignore[no-untyped-def]
    from mnx.toolkit.gpu import tensorrt_status

    status = tensorrt_status()
    if not status.installed:
        pytest.skip(f"TensorRT not available: {status.problem}")
    import tensorrt

    return tensorrt


@pytest.fixture
def gpu():  # type: ignore[no-untyped-def]
    from mnx.toolkit.gpu import gpu_info

    info = gpu_info()
    if info is None:
        pytest.skip("no NVIDIA GPU visible (cuda-python / nvidia-smi)")
    return info
