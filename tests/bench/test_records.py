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


# --- BenchConfig: every bench option validated here, once --------------------------------------


def _config(**kw):  # type: ignore[no-untyped-def]
    from mnx.bench.records import BenchConfig

    return BenchConfig(**{"networks": ("linear",), **kw})


def test_config_defaults_and_parsing() -> None:
    from mnx.toolkit.options import Backend, KerasMode, Precision

    c = _config(backends=("ORT", "trt", "ort"), precisions=("int8",), batch_sizes=(8, 1, 8))
    assert c.backends == (Backend.ORT, Backend.TRT) and c.precisions == (Precision.INT8,)
    assert c.batch_sizes == (8, 1) and c.keras_mode is KerasMode.PREDICT_ON_BATCH
    assert c.duration_s == 2.0 and c.iterations is None and not c.backends_named
    assert _config().backends == ("keras", "ort", "ort-cuda", "trt", "openvino")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"networks": ()}, "No network given"),
        ({"backends": ("tensorrt",)}, "Unknown backend 'tensorrt'"),
        ({"precisions": ("int4",)}, "Unknown precision 'int4'"),
        ({"batch_sizes": ()}, "No batch size given"),
        ({"batch_sizes": (0,)}, "Batch size 0 is out of range. Expected: a value from 1 to 65536"),
        ({"batch_sizes": (1.5,)}, "Batch size 1.5 is not a whole number"),
        ({"duration_s": None}, "exactly one of a duration and an iteration count"),
        ({"iterations": 5}, "exactly one of a duration and an iteration count"),
        ({"duration_s": float("inf")}, "Duration inf s is out of range"),
        ({"duration_s": None, "iterations": 0}, "Iterations 0 is out of range"),
        ({"warmup_iterations": -1}, "Warm-up count -1 is out of range"),
        ({"warmup_s": float("nan")}, "Warm-up time nan s is out of range"),
        ({"threads": 100_000}, "Threads 100000 is out of range. Expected: a value from 1 to 256"),
        ({"eval_limit": 0}, "Evaluation limit 0 images is out of range"),
        ({"keras_mode": "predict"}, "Unknown Keras mode 'predict'"),
    ],
)
def test_config_refuses_bad_values(kw: dict, message: str) -> None:  # type: ignore[type-arg]
    from mnx.errors import ConfigError

    with pytest.raises(ConfigError, match=message) as err:
        _config(**kw)
    assert err.value.exit_code == 2 and err.value.fix


def test_results_written_before_the_new_config_fields_still_load(tmp_path: Path) -> None:
    from mnx.toolkit.options import Backend

    data = make_results().to_dict()
    del data["config"]["keras_mode"], data["config"]["backends_named"]
    (tmp_path / "old.json").write_text(json.dumps(data))
    back = BenchResults.load(tmp_path / "old.json")
    assert back.config.backends == (Backend.ORT, Backend.TRT) and not back.config.backends_named
