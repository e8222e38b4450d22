"""`run_pipeline`: train -> export -> bench, and a second run skips the current steps."""

from __future__ import annotations

import shutil
from pathlib import Path

from mnx.workflows.pipeline import PipelineOptions, run_pipeline


def test_pipeline_runs_then_skips_current_steps(trained_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    shutil.copytree(trained_root, root)
    opts = PipelineOptions(
        quick=True,
        backends=("keras", "ort"),
        precisions=("fp32", "int8"),
        batch_sizes=(1,),
        duration_s=0.05,
    )
    first = run_pipeline(["linear"], opts, root)
    assert [(s.step, s.status) for s in first.steps] == [("train", "ran"), ("export", "ran")]
    int8 = next(r for r in first.results.rows if (r.backend, r.precision) == ("ort", "int8"))
    assert int8.skipped_reason is None and int8.model_file == "model.int8.u8.onnx"
    assert int8.note and "uint8" in int8.note
    second = run_pipeline(["linear"], opts, root)
    assert [(s.step, s.status) for s in second.steps] == [
        ("train", "current"),
        ("export", "current"),
    ]
