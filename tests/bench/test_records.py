"""mnx.bench.records: JSON round-trip and refusal of foreign or incompatible files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mnx.bench.records import SCHEMA_VERSION, BenchResults
from mnx.errors import CorruptArtifactError, MissingArtifactError
from support.results import make_results


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
