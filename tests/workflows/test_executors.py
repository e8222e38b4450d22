"""Executors without Ray: the local executor, the folder shipping that Ray tasks use, the
--ray address check, and the fix-it message when Ray is not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnx.errors import UsageError
from mnx.workflows import executors as ex
from support.paths import ROOT


def _work(payload: str, root: Path, shared: str) -> str:
    if payload == "bad":
        raise RuntimeError("this task fails")
    (root / payload).mkdir(parents=True, exist_ok=True)
    (root / payload / "out.txt").write_text(shared)
    return payload.upper()


def test_local_executor_reports_a_failure_and_goes_on(tmp_path: Path) -> None:
    tasks = [ex.Task(p, Path(p), p) for p in ("a", "bad", "c")]
    outcomes = list(ex.LocalExecutor().run(_work, tasks, tmp_path, "shared"))
    assert [o.value for o in outcomes] == ["A", None, "C"]
    assert outcomes[1].error == "RuntimeError: this task fails"
    assert "Traceback" in outcomes[1].detail and not outcomes[1].ok
    assert (tmp_path / "c" / "out.txt").read_text() == "shared"


def test_relocate_rewrites_json_records_only() -> None:
    files = {
        "train.json": b'{"net_dir": "/tmp/mnx-ray-x/artifacts/seed-1/linear"}',
        "model.keras": b"/tmp/mnx-ray-x/artifacts",
    }
    out = ex.relocate(files, "/tmp/mnx-ray-x/artifacts", "art")
    assert out["train.json"] == b'{"net_dir": "art/seed-1/linear"}'
    assert out["model.keras"] == files["model.keras"]


def test_apply_change_mirrors_and_writes_the_record_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {"same": b"1", "train.json": b"old", "gone": b"x", "model": b"old"}
    for rel, content in before.items():
        (tmp_path / rel).write_bytes(content)
    mtime = (tmp_path / "same").stat().st_mtime_ns
    after = {"same": b"1", "train.json": b"new", "model": b"new", "plots/a.png": b"png"}
    change = ex.FolderChange.between(ex.digests(before), after)
    assert set(change.changed) == {"train.json", "model", "plots/a.png"}  # "same" stays home
    written: list[str] = []
    real = ex.write_bytes_atomic

    def spy(target: Path, data: bytes) -> None:
        # nothing stale may vouch for new files: the old record is gone before any write
        assert not (tmp_path / "train.json").exists() or target.name == "train.json"
        written.append(target.relative_to(tmp_path).as_posix())
        real(target, data)

    monkeypatch.setattr(ex, "write_bytes_atomic", spy)
    ex.apply_change(tmp_path, ex.digests(before), change, last=("train.json",))
    assert written == ["model", "plots/a.png", "train.json"]
    assert ex.read_folder(tmp_path) == after
    assert (tmp_path / "same").stat().st_mtime_ns == mtime  # unchanged: not rewritten


def test_read_folder_skips_interrupted_temp_files(tmp_path: Path) -> None:
    (tmp_path / "model.keras").write_bytes(b"m")
    (tmp_path / ".model.abc.tmp.keras").write_bytes(b"half")
    assert ex.read_folder(tmp_path) == {"model.keras": b"m"}
    assert ex.read_folder(tmp_path / "missing") == {}


def test_ray_address_check() -> None:
    assert ex.check_address(None) is None and ex.check_address("local") is None
    assert ex.check_address("auto") == "auto"
    assert ex.check_address("ray://head:10001") == "ray://head:10001"
    with pytest.raises(UsageError, match="put --ray after the notebook numbers"):
        ex.check_address("002")


def test_tasks_ask_for_a_gpu_when_the_cluster_has_one() -> None:
    assert ex.task_gpus(0, None) == 0.0
    assert ex.task_gpus(8, None) == 1.0
    assert ex.task_gpus(8, 0) == 0  # CPU only, asked for
    assert ex.task_gpus(0.5, None) == 0.0  # a fraction of a GPU cannot hold a whole task


def test_ray_missing_gives_a_fix_it_message(tmp_path: Path) -> None:
    """`--ray` in an environment without Ray: one message naming the extra, exit 1."""
    code = (
        "import sys; sys.modules['ray'] = None\n"  # import ray -> ImportError, as if absent
        "from mnx.cli import main\n"
        "sys.exit(main(['--artifacts', sys.argv[1], 'reproduce', '003', '--ray']))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Ray is not installed" in proc.stderr and "pip install 'mnx[ray]'" in proc.stderr
    assert not (tmp_path / "linear").exists()  # nothing ran
