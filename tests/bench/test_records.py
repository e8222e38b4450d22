"""bench.records: JSON round-trip and refusal of foreign or incompatible files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.records import SCHEMA_VERSION, BenchConfig, BenchResults, BenchRow, Provenance
from toolkit.errors import CorruptArtifactError, MissingArtifactError


def make_results(p50_ms: float = 1.0, accuracy: float = 0.98) -> BenchResults:
    prov = Provenance(
        created_utc="2025-01-01T00:00:00+00:00",
        mnx_version="0.1.0",
        versions={"onnxruntime": "1.32.0"},
        cpu="Test CPU",
        gpu=None,
        threads=2,
        providers=("CPUExecutionProvider",),
        git_commit="abc",
        platform="linux",
    )
    cfg = BenchConfig(
        networks=("linear",),
        backends=("ort", "trt"),
        precisions=("fp32",),
        batch_sizes=(1, 32),
        duration_s=None,
        iterations=100,
        warmup_iterations=10,
        warmup_s=0.0,
        threads=2,
    )
    rows = tuple(
        BenchRow(
            network="linear",
            backend="ort",
            precision="fp32",
            batch_size=b,
            accuracy=accuracy,
            agreement=1.0,
            max_abs_diff=1e-7,
            iterations=100,
            p50_ms=p50_ms * b,
            mean_ms=p50_ms * b,
            images_per_s=1000.0 * b / (p50_ms * b),
            providers=("CPUExecutionProvider",),
            warnings=("w",),
            params=7960,
        )
        for b in (1, 32)
    ) + (
        BenchRow(
            network="linear",
            backend="trt",
            precision="fp32",
            batch_size=None,
            skipped_reason="TensorRT not installed (pip install 'mnx[tensorrt]')",
        ),
    )
    return BenchResults(provenance=prov, config=cfg, rows=rows)


def test_json_round_trip(tmp_path: Path) -> None:
    res = make_results()
    path = tmp_path / "r.json"
    path.write_text(res.to_json())
    back = BenchResults.load(path)
    assert back == res
    assert back.rows[0].providers == ("CPUExecutionProvider",)
    assert back.rows[2].skipped and back.rows[2].p50_ms is None
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["rows"][2]["p50_ms"] is None  # not measured is null, never -1


def test_incompatible_schema_version_refused(tmp_path: Path) -> None:
    data = make_results().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    path = tmp_path / "future.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CorruptArtifactError, match="schema version") as exc:
        BenchResults.load(path)
    assert "re-run `mnx bench`" in exc.value.render()


def test_foreign_damaged_and_missing_files(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"benchmarks": []}))
    with pytest.raises(CorruptArtifactError, match="not an mnx bench results file"):
        BenchResults.load(foreign)
    damaged = make_results().to_dict()
    del damaged["rows"][0]["network"]
    (tmp_path / "damaged.json").write_text(json.dumps(damaged))
    with pytest.raises(CorruptArtifactError, match="damaged"):
        BenchResults.load(tmp_path / "damaged.json")
    (tmp_path / "trunc.json").write_text(make_results().to_json()[:50])
    with pytest.raises(CorruptArtifactError, match="not valid JSON"):
        BenchResults.load(tmp_path / "trunc.json")
    with pytest.raises(MissingArtifactError, match="mnx bench"):
        BenchResults.load(tmp_path / "absent.json")
