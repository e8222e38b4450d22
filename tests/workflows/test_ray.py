"""`--ray` for real: a local Ray instance (2 CPUs) runs two tiny networks × two seeds on the test
subset and gives the same artifacts, records and rows as the in-process executor; a failing
task is reported while the others finish. Marked `ray` (a minute on 2 cores: every worker
imports TensorFlow); run with `tox -e ray` or `pytest -m ray`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mnx.toolkit.artifacts import read_json
from mnx.workflows import reproduce as rep
from mnx.workflows.executors import LocalExecutor, RayExecutor, Task, read_folder
from mnx.workflows.reproduce import RunSpec

pytest.importorskip("ray")
pytestmark = pytest.mark.ray

NETWORKS = ["m31_k3", "linear"]
# What differs between two runs of the same training: when and how fast, and so the .keras zip's
# checksum (the archive records its save date).
TIMING = {"created", "seconds_per_epoch", "mean_seconds_per_epoch", "model_sha256"}


def _run(root: Path, executor: Any) -> rep.ReproResult:
    return rep.reproduce(
        ["001", "003"], root, only=NETWORKS, seeds=(0, 1), epochs=1, export=False,
        executor=executor,
    )  # fmt: skip


def _record(path: Path, root: Path) -> dict[str, Any]:
    import json

    rec = {k: v for k, v in read_json(path).items() if k not in TIMING}
    return json.loads(json.dumps(rec).replace(str(root), "ROOT"))


def test_ray_gives_what_the_local_executor_gives(tmp_path: Path) -> None:
    local, remote = tmp_path / "local", tmp_path / "ray"
    here = _run(local, LocalExecutor())
    # Two CPUs per task: TensorFlow then uses as many threads as here. With fewer, the same seed
    # sums floats in another order (m31_k3, 1 epoch: 56% vs 55% test accuracy on the subset).
    ray = RayExecutor(num_cpus=2, cpus_per_task=2, last_files=("train.json",))
    there = _run(remote, ray)
    assert not here.failures and not there.failures
    strip = {"seconds_per_epoch"}
    assert [{k: v for k, v in vars(r).items() if k not in strip} for r in there.rows] == [
        {k: v for k, v in vars(r).items() if k not in strip} for r in here.rows
    ]
    assert [(r.name, r.seed) for r in there.rows] == [
        ("m31_k3", 0), ("m31_k3", 1), ("linear", 0), ("linear", 1)
    ]  # fmt: skip
    # same files in the same layout: seed 0 in <root>/<net>, seed 1 in <root>/seed-1/<net>
    files = {p.relative_to(local) for p in local.rglob("*") if p.is_file()}
    assert {p.relative_to(remote) for p in remote.rglob("*") if p.is_file()} == files
    assert Path("seed-1/linear/model.keras") in files and Path("linear/model.keras") in files
    for folder in ("linear", "seed-1/m31_k3"):
        # the records name the driver's folder, not the worker's scratch one
        assert _record(remote / folder / "train.json", remote) == _record(
            local / folder / "train.json", local
        )
        net = read_json(remote / folder / "train.json")["net_dir"]
        assert net == str(remote / folder)
    seed1 = read_json(remote / "seed-1" / "linear" / "train.json")
    assert seed1["seed"] == 1
    # resumable: a second run reuses every current model and leaves the files alone
    model = remote / "seed-1" / "m31_k3" / "model.keras"
    mtime = model.stat().st_mtime_ns
    again = _run(remote, ray)
    assert not again.failures and not any(r.trained_now for r in again.rows)
    assert [r.test_accuracy for r in again.rows] == [r.test_accuracy for r in there.rows]
    assert model.stat().st_mtime_ns == mtime


def test_a_failing_ray_task_is_reported_and_the_others_finish(
    tmp_path: Path, subset_data: Any
) -> None:
    ok = Task("linear", Path("linear"), RunSpec("linear", 0, 1, None, export=False))
    bad = Task("linear seed 1", Path("seed-1/linear"), RunSpec("linear", 1, 1, 10**6, False))
    outcomes = list(
        RayExecutor(num_cpus=2).run(rep.reproduce_one, [bad, ok], tmp_path, subset_data)
    )
    by_label = {o.task.label: o for o in outcomes}
    assert "--limit 1000000 is more than" in (by_label["linear seed 1"].error or "")
    assert by_label["linear"].ok and by_label["linear"].value.seed == 0
    assert read_folder(tmp_path / "seed-1" / "linear") == {}  # the failed task wrote nothing
    assert (tmp_path / "linear" / "train.json").exists()


def test_bench_on_every_node_merges_rows_with_the_machine(
    copy_trained: Path, subset_data: Any
) -> None:
    from mnx.toolkit.export.pipeline import ExportOptions, export
    from mnx.toolkit.versions import cpu_model
    from mnx.workflows.fanout import bench_on_every_node, machine_table

    export("linear", ExportOptions(fp16=False, int8=False, trt=False), copy_trained)
    from mnx.bench.records import BenchConfig

    config = BenchConfig(
        networks=("linear",), backends=("ort",), precisions=("fp32",), batch_sizes=(1,),
        duration_s=None, iterations=20, warmup_iterations=2, warmup_s=0.0, threads=1,
    )  # type: ignore[arg-type]  # fmt: skip
    per_node = bench_on_every_node(config, copy_trained, None)
    assert len(per_node) == 1  # one machine here
    node, results = per_node[0]
    assert node.nodes == 1 and node.cpu == (cpu_model() or node.cpu) and node.gpu is None
    (row,) = results.measured()
    assert (row.network, row.backend, row.batch_size, row.iterations) == ("linear", "ort", 1, 20)
    # the accuracy the exporter recorded for this file, measured again on the node
    assert row.accuracy is not None and row.accuracy > 0.5
    table = machine_table(per_node)
    assert f"| {node.machine} | linear | ort | fp32 | 1 | {100 * row.accuracy:.2f} |" in table
