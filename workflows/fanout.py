"""`mnx bench ... --ray ADDRESS --on-every-node`: the same bench on one node of each distinct
machine type of a Ray cluster (CPU model × GPU), merged into one table with the machine as a
column.

Each bench task is pinned to its node (node affinity) and asks for all of that node's CPUs and
GPUs, so nothing else of ours runs beside it while it measures. The networks' artifact folders
travel to it through the object store (as for `reproduce --ray`, workflows.executors) and its
BenchResults come back; each node's results keep their own provenance.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnx.bench.records import BenchConfig, BenchResults
from mnx.workflows.executors import Files, import_ray, read_folder


@dataclass(frozen=True)
class NodeType:
    """One machine type of the cluster and the node that stands for it."""

    node_id: str
    cpu: str
    gpu: str | None
    cpus: float
    gpus: float
    nodes: int  # how many alive nodes are of this type

    @property
    def machine(self) -> str:
        return f"{self.cpu} / {self.gpu or 'no GPU'}"


def _describe_node() -> tuple[str, str | None]:
    from mnx.bench.variants import gpu_name
    from mnx.toolkit.versions import cpu_model

    return cpu_model() or platform.processor() or "unknown CPU", gpu_name()


def _pinned(ray: Any, node_id: str) -> Any:
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)


def node_types(ray: Any) -> list[NodeType]:
    """Probe every alive node once (a zero-CPU task pinned to it) and group them by machine."""
    alive = [n for n in ray.nodes() if n.get("Alive")]
    probe = ray.remote(_describe_node)
    refs = [
        probe.options(num_cpus=0, scheduling_strategy=_pinned(ray, n["NodeID"])).remote()
        for n in alive
    ]
    types: dict[tuple[str, str | None], NodeType] = {}
    for node, (cpu, gpu) in zip(alive, ray.get(refs), strict=True):
        res = node.get("Resources", {})
        seen = types.get((cpu, gpu))
        if seen is None:
            types[(cpu, gpu)] = NodeType(
                node["NodeID"], cpu, gpu, res.get("CPU", 0.0), res.get("GPU", 0.0), 1
            )
        else:
            types[(cpu, gpu)] = NodeType(
                seen.node_id, cpu, gpu, seen.cpus, seen.gpus, seen.nodes + 1
            )
    return list(types.values())


def _bench_here(config: BenchConfig, files: dict[str, Files], data: Any) -> dict[str, Any]:
    """Body of a bench task: the networks' folders in a scratch root, run_bench, the results."""
    import tempfile

    from mnx.bench.run import run_bench
    from mnx.toolkit.artifacts import write_bytes_atomic
    from mnx.toolkit.keras_backend import import_tensorflow_quietly

    import_tensorflow_quietly()
    with tempfile.TemporaryDirectory(prefix="mnx-ray-bench-") as scratch:
        root = Path(scratch) / "artifacts"
        for name, folder in files.items():
            for rel, content in folder.items():
                write_bytes_atomic(root / name / rel, content)
        results = run_bench(config, root, data=data)
        return results.to_dict()


def bench_on_every_node(
    config: BenchConfig,
    root: Path,
    address: str | None,
    say: Callable[[str], None] = lambda _m: None,
) -> list[tuple[NodeType, BenchResults]]:
    """run_bench(config) on one node of each machine type; results in type order."""
    from mnx.toolkit.data import load_mnist
    from mnx.workflows.executors import check_address

    ray = import_ray()
    ray.init(address=check_address(address), include_dashboard=False)
    try:
        types = node_types(ray)
        say(f"{len(types)} machine type(s): " + "; ".join(f"{t.machine} ×{t.nodes}" for t in types))
        files = {name: read_folder(root / name) for name in config.networks}
        data_ref, files_ref = ray.put(load_mnist()), ray.put(files)
        bench = ray.remote(_bench_here)
        refs = [
            bench.options(
                num_cpus=t.cpus, num_gpus=t.gpus, scheduling_strategy=_pinned(ray, t.node_id)
            ).remote(config, files_ref, data_ref)
            for t in types
        ]
        try:
            out = [
                (t, BenchResults.from_dict(d)) for t, d in zip(types, ray.get(refs), strict=True)
            ]
        except KeyboardInterrupt:
            for ref in refs:
                ray.cancel(ref, force=True)
            raise
    finally:
        ray.shutdown()
    return out


def _cell(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def machine_table(per_node: Sequence[tuple[NodeType, BenchResults]]) -> str:
    """One Markdown table of every node's rows, the machine first."""
    lines = [
        "| machine | network | backend | precision | batch | accuracy % | p50 ms | images/s | note |",
        "|" + "---|" * 9,
    ]
    for node, results in per_node:
        for r in results.rows:
            acc = None if r.accuracy is None else 100 * r.accuracy
            lines.append(
                f"| {node.machine} | {r.network} | {r.backend} | {r.precision} "
                f"| {r.batch_size if r.batch_size is not None else '–'} | {_cell(acc, '.2f')} "
                f"| {_cell(r.p50_ms, '.3f')} | {_cell(r.images_per_s, ',.0f')} "
                f"| {r.skipped_reason or ''} |"
            )
    return "\n".join(lines) + "\n"
