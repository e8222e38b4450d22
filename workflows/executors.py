"""Where a workflow's runs happen: in this process one after another (`LocalExecutor`, the
default), or as Ray tasks on this machine's cores or a cluster (`RayExecutor`, `--ray`).

A task reads and writes one folder under the artifacts root and nothing else (a network × seed's
folder), so both executors give the same files and records:

- local: the work function runs on the driver's root itself;
- Ray: the folder's files travel to the task through the object store, the work runs in a
  scratch root on the worker, and the files it added or changed come back as bytes, written on
  the driver through the same atomic writes (`toolkit.artifacts.write_bytes_atomic`). The object store, not
  a shared filesystem: it needs nothing mounted on the nodes, a network's folder is a few MB to
  tens of MB, and a task that dies leaves the driver's folder untouched. Records that name the
  worker's scratch root (train.json's paths) are rewritten to the driver's root on the way back.

Ray is imported only by `RayExecutor`; without Ray installed it raises a fix-it error.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from mnx.errors import MissingDependencyError, UsageError
from mnx.toolkit.artifacts import sha256_bytes, write_bytes_atomic
from mnx.toolkit.keras_backend import import_tensorflow_quietly

P = TypeVar("P")
R = TypeVar("R")
Files = dict[str, bytes]  # path relative to the task's folder -> content

# Environment a Ray worker must share with the driver (the Keras backend must match; the rest
# keeps the workers as quiet and as pointed at the same data as the driver).
_SHARED_ENV = ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL", "MNX_MNIST", "MNX_DATA_DIR")


@dataclass(frozen=True)
class Task(Generic[P]):
    """One unit of work: `folder` (relative to the root) is all it reads and writes."""

    label: str
    folder: Path
    payload: P


@dataclass(frozen=True)
class Outcome(Generic[P, R]):
    """What a task gave: `value`, or `error` ("Type: message") with its traceback."""

    task: Task[P]
    value: R | None
    error: str | None = None
    detail: str = ""  # traceback of the error
    where: str = "this process"
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class Work(Protocol[P, R]):  # type: ignore[misc]
    """The function a task runs: (payload, artifacts root, shared read-only input) -> value."""

    def __call__(self, payload: P, root: Path, shared: Any) -> R: ...


class Executor(Protocol):
    def run(
        self, work: Callable[[Any, Path, Any], Any], tasks: list[Task[Any]], root: Path, shared: Any
    ) -> Iterator[Outcome[Any, Any]]:
        """Outcomes as tasks finish; a failed task is an Outcome with `error`, not an exception."""
        ...

    def describe(self) -> str: ...


def _failure(task: Task[Any], exc: BaseException, where: str, start: float) -> Outcome[Any, Any]:
    return Outcome(
        task,
        None,
        error=f"{type(exc).__name__}: {exc}",
        detail="".join(traceback.format_exception(exc)),
        where=where,
        seconds=time.perf_counter() - start,
    )


class LocalExecutor:
    """Runs the tasks here, in order; Ctrl-C stops at once (KeyboardInterrupt propagates)."""

    def __init__(self, say: Callable[[str], None] = lambda _m: None) -> None:
        self.say = say

    def describe(self) -> str:
        return "in this process, one after another"

    def run(
        self, work: Callable[[Any, Path, Any], Any], tasks: list[Task[Any]], root: Path, shared: Any
    ) -> Iterator[Outcome[Any, Any]]:
        for task in tasks:
            self.say(f"{task.label}: running")
            start = time.perf_counter()
            try:
                value = work(task.payload, root, shared)
            except Exception as exc:  # reported; the other tasks go on
                yield _failure(task, exc, "this process", start)
                continue
            yield Outcome(task, value, seconds=time.perf_counter() - start)


# --- files of a task's folder -----------------------------------------------------------------


def read_folder(folder: Path) -> Files:
    """Every file under `folder` (recursively), minus temp files of interrupted atomic writes."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not (p.name.startswith(".") and ".tmp" in p.name)
    }


def digests(files: Files) -> dict[str, str]:
    return {rel: sha256_bytes(content) for rel, content in files.items()}


def relocate(files: Files, old_root: str, new_root: str) -> Files:
    """JSON records that name `old_root` (the worker's scratch root), naming `new_root` instead;
    the replacement works on the JSON-escaped text, so every other byte stays as written."""
    import json

    from mnx.toolkit.store.manifest import MANIFEST

    old, new = json.dumps(old_root)[1:-1].encode(), json.dumps(new_root)[1:-1].encode()
    out = {k: v.replace(old, new) if k.endswith(".json") else v for k, v in files.items()}
    # A rewritten record is new bytes: the artifact store's manifest (which names every file by
    # its sha256, as itself and as an input) must name those bytes, or nothing would be trusted.
    renamed = {
        sha256_bytes(files[k]).encode(): sha256_bytes(v).encode()
        for k, v in out.items()
        if v != files[k] and Path(k).name != MANIFEST
    }
    for rel in [k for k in out if Path(k).name == MANIFEST]:
        for before, after in renamed.items():
            out[rel] = out[rel].replace(before, after)
    return out


@dataclass(frozen=True)
class FolderChange:
    """What a task did to its folder: new or changed files (only those travel back) and the
    names of every file it holds now."""

    changed: Files
    present: frozenset[str]

    @classmethod
    def between(cls, before: dict[str, str], after: Files) -> FolderChange:
        """`before`: sha256 per file the folder held (the driver's)."""
        changed = {rel: b for rel, b in after.items() if before.get(rel) != sha256_bytes(b)}
        return cls(changed, frozenset(after))


def apply_change(
    folder: Path, before: dict[str, str], change: FolderChange, last: Iterable[str] = ()
) -> None:
    """Make `folder` (which held files with the `before` digests) what the task left: files that
    changed or went are removed first, then the new content is written atomically with `last`
    (completion records such as train.json) at the end. An interruption therefore leaves an
    incomplete folder that the work treats as not done, never an old record vouching for new
    files. Unchanged files are not touched (their modification times stay)."""
    for rel in before:
        if rel not in change.present or rel in change.changed:
            (folder / rel).unlink(missing_ok=True)
    tail = [rel for rel in last if rel in change.changed]
    for rel in [r for r in sorted(change.changed) if r not in tail] + tail:
        write_bytes_atomic(folder / rel, change.changed[rel])


# --- Ray --------------------------------------------------------------------------------------


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError(
            "--ray was given but Ray is not installed",
            expected="the `ray` package in this Python environment",
            fix="pip install 'mnx[ray]' (or pip install 'ray>=2.9'), or drop --ray to run here",
        ) from exc
    return ray


def check_address(address: str | None) -> str | None:
    """`--ray` takes an optional value, so `--ray 002` would swallow a notebook number: accept
    only what can be a Ray address."""
    if address in (None, "", "local"):
        return None
    assert address is not None
    if address == "auto" or ":" in address:
        return address
    raise UsageError(
        f"'{address}' after --ray was read as a Ray cluster address",
        expected="--ray alone (a local Ray instance), --ray=auto, or --ray=HOST:PORT / ray://HOST:PORT",
        fix="put --ray after the notebook numbers, or write --ray=ADDRESS",
    )


def _remote_run(
    work: Callable[[Any, Path, Any], Any],
    task: Task[Any],
    files: Files,
    shared: Any,
    threads: int,
    driver_root: str,
) -> tuple[Any, FolderChange, str, float]:
    """Body of a Ray task: the folder in a scratch root, the work, what changed in the folder
    (its records naming the driver's root), where it ran and how long the work took."""
    import socket
    import tempfile

    _limit_threads(threads)
    where = socket.gethostname() + (_gpu_note() if threads == 0 else "")
    with tempfile.TemporaryDirectory(prefix="mnx-ray-") as scratch:
        root = Path(scratch) / "artifacts"
        folder = root / task.folder
        for rel, content in files.items():
            write_bytes_atomic(folder / rel, content)
        start = time.perf_counter()
        value = work(task.payload, root, shared)
        seconds = time.perf_counter() - start
        after = relocate(read_folder(folder), str(root), driver_root)
        return value, FolderChange.between(digests(files), after), where, seconds


def _gpu_note() -> str:
    """What the task's GPU request gave TensorFlow: a CPU-only TensorFlow build on a GPU node
    would train on the CPU, and the progress line says so."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f", GPU {gpus[0].name}" if gpus else ", asked for a GPU but TensorFlow sees none"


def _limit_threads(threads: int) -> None:
    """TensorFlow sizes its thread pools by the node's cores, not by the CPUs Ray gave the task;
    tasks side by side would oversubscribe the node. Takes effect in a fresh worker only."""
    import_tensorflow_quietly()
    if threads < 1:
        return
    import contextlib

    import tensorflow as tf

    with contextlib.suppress(RuntimeError):  # already initialized: a reused worker keeps its pool
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def task_gpus(cluster_gpus: float, requested: float | None) -> float:
    """GPUs each task asks for. Default: one when the cluster has any, so Ray pins each training
    to its own device (CUDA_VISIBLE_DEVICES) and TensorFlow trains there, never two trainings
    on one GPU; none on a CPU cluster. `requested` overrides (0 = CPU only)."""
    if requested is not None:
        return requested
    return 1.0 if cluster_gpus >= 1 else 0.0


class RayExecutor:
    """Each task is a Ray task. `address` None starts a local instance (or joins $RAY_ADDRESS,
    as `ray.init()` does); otherwise joins that cluster. `gpus_per_task` None = 1 when the
    cluster has GPUs, else 0; `num_cpus` limits a local instance (default: every core)."""

    def __init__(
        self,
        address: str | None = None,
        *,
        cpus_per_task: int = 1,
        gpus_per_task: float | None = None,
        num_cpus: int | None = None,
        last_files: tuple[str, ...] = (),
        say: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.address = check_address(address)
        self.cpus_per_task, self.gpus_per_task = cpus_per_task, gpus_per_task
        self.num_cpus, self.last_files, self.say = num_cpus, last_files, say
        self._ray = import_ray()
        self._resources = ""

    def describe(self) -> str:
        where = self.address or os.environ.get("RAY_ADDRESS") or "a local Ray instance"
        return f"as Ray tasks on {where}" + (f" ({self._resources})" if self._resources else "")

    def _start(self) -> float:
        ray = self._ray
        env = {k: os.environ[k] for k in _SHARED_ENV if k in os.environ}
        kwargs: dict[str, Any] = {"runtime_env": {"env_vars": env}, "include_dashboard": False}
        if self.address is None and not os.environ.get("RAY_ADDRESS"):
            kwargs["num_cpus"] = self.num_cpus  # None: every core of this machine
        ray.init(address=self.address, **kwargs)
        resources = ray.cluster_resources()
        gpus = float(resources.get("GPU", 0))
        per_task = task_gpus(gpus, self.gpus_per_task)
        self._resources = (
            f"{resources.get('CPU', 0):g} CPUs, {gpus:g} GPUs; "
            f"each task {self.cpus_per_task} CPU, {per_task:g} GPU"
        )
        return per_task

    def run(
        self, work: Callable[[Any, Path, Any], Any], tasks: list[Task[Any]], root: Path, shared: Any
    ) -> Iterator[Outcome[Any, Any]]:
        ray = self._ray
        per_task_gpus = self._start()
        try:
            self.say(f"running {self.describe()}")
            remote = ray.remote(_remote_run).options(
                num_cpus=self.cpus_per_task, num_gpus=per_task_gpus, max_retries=0
            )
            shared_ref = ray.put(shared)  # once: every task reads the same copy
            threads = 0 if per_task_gpus else self.cpus_per_task  # 0: GPU task
            # The driver keeps only digests of what it sent: the bytes live in the object store
            # until their task has run.
            started: dict[Any, tuple[Task[Any], dict[str, str], float]] = {}
            for task in tasks:
                files = read_folder(root / task.folder)
                ref = remote.remote(work, task, files, shared_ref, threads, str(root))
                started[ref] = (task, digests(files), time.perf_counter())
            yield from self._collect(started, root)
        finally:
            ray.shutdown()

    def _collect(
        self, started: dict[Any, tuple[Task[Any], dict[str, str], float]], root: Path
    ) -> Iterator[Outcome[Any, Any]]:
        ray = self._ray
        pending = list(started)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                task, before, start = started.pop(ready[0])
                try:
                    value, change, host, seconds = ray.get(ready[0])
                except Exception as exc:  # RayTaskError wraps the task's own exception
                    yield _failure(task, getattr(exc, "cause", None) or exc, "a Ray worker", start)
                    continue
                apply_change(root / task.folder, before, change, self.last_files)
                yield Outcome(task, value, where=host, seconds=seconds)
        except KeyboardInterrupt:
            for ref in pending:  # Ctrl-C: stop the tasks still queued or running
                ray.cancel(ref, force=True)
            raise
