"""CLI commands: export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mnx.cli.common import bounded, require_keras, require_tensorrt
from mnx.errors import ConfigError
from mnx.toolkit.options import Preprocess, parse_one

METHODS = ("entropy", "minmax", "percentile")
MAX_BATCH = 65536  # = bench.records.MAX_BATCH: the largest batch mnx benches
MAX_WORKSPACE_MIB = 1 << 20  # 1 TiB: above any GPU's memory


@click.command("export")
@click.argument("name")
@click.option("--fp16", is_flag=True, help="Also make model.fp16.onnx (FP16 math, FP32 I/O).")
@click.option(
    "--int8",
    is_flag=True,
    help="Also make model.int8.onnx (symmetric Q/DQ, for TensorRT) and model.int8.u8.onnx "
    "(uint8 activations, for ONNX Runtime CPU) from one calibration.",
)
@click.option(
    "--calibration-method",
    default="entropy",
    show_default=True,
    metavar="entropy|minmax|percentile",
    help="How INT8 activation ranges are chosen.",
)
@click.option(
    "--calibration-samples",
    type=int,
    default=1000,
    show_default=True,
    help="Training images used for INT8 calibration (1..60000; never test images).",
)
@click.option(
    "--calibration-seed",
    type=int,
    default=0,
    show_default=True,
    callback=bounded(0, 2**32 - 1, "pass e.g. --calibration-seed 0"),
    help="Seed choosing the calibration images (0..4294967295).",
)
@click.option("--opset", type=int, default=17, show_default=True, help="ONNX opset (13..18).")
@click.option(
    "--trt/--no-trt",
    default=None,
    help="Build TensorRT engines. Default: only where TensorRT and a GPU are present; "
    "--trt fails clearly when they are not.",
)
@click.option(
    "--route",
    default="strongly-typed",
    show_default=True,
    metavar="strongly-typed|builder-flags",
    help="TensorRT build route. strongly-typed: precision from the FP16 / Q/DQ INT8 ONNX "
    "(TensorRT 10 and 11). builder-flags: FP16 flag and INT8 calibrator on the FP32 ONNX "
    "(only where the installed TensorRT still has them, i.e. 10.x).",
)
@click.option(
    "--trt-calibrator",
    default="entropy",
    show_default=True,
    metavar="entropy|minmax",
    help="INT8 calibrator of the builder-flags route.",
)
@click.option(
    "--min-batch",
    type=int,
    callback=bounded(1, MAX_BATCH, "pass e.g. --min-batch 1"),
    default=1,
    show_default=True,
    help="TensorRT optimization profile: smallest batch.",
)
@click.option(
    "--opt-batch",
    type=int,
    callback=bounded(1, MAX_BATCH, "pass e.g. --opt-batch 32"),
    default=32,
    show_default=True,
    help="TensorRT optimization profile: batch the kernels are tuned for.",
)
@click.option(
    "--max-batch",
    type=int,
    callback=bounded(1, MAX_BATCH, "pass e.g. --max-batch 256"),
    default=256,
    show_default=True,
    help="TensorRT optimization profile: largest batch.",
)
@click.option(
    "--workspace-mib",
    type=int,
    callback=bounded(1, MAX_WORKSPACE_MIB, "pass e.g. --workspace-mib 1024"),
    default=1024,
    show_default=True,
    help="TensorRT builder workspace limit (MiB).",
)
@click.option("--rebuild", is_flag=True, help="Rebuild TensorRT engines even when current.")
@click.option(
    "--data",
    "data_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Keras files: a .npz holding x and y for parity checks and INT8 calibration.",
)
@click.option(
    "--preprocess",
    default="/255",
    show_default=True,
    metavar="|".join(Preprocess),
    help="Keras files that classify MNIST: how pixels are scaled.",
)
@click.pass_context
def export_cmd(
    ctx: click.Context, name: str, data_file: str | None, preprocess: str, **o: Any
) -> None:
    """Export a trained network (or a .keras file) to ONNX (FP32 always; FP16 and INT8 on
    request), check every file against Keras on the 10,000 test images, and build TensorRT
    engines where available.

    \b
    Examples:
      mnx export cnn9
      mnx export cnn9 --fp16 --int8
      mnx export m31_k3 --int8 --calibration-method minmax --calibration-samples 2000
      mnx export cnn9 --fp16 --int8 --trt --max-batch 1024
      mnx export path/to/my_model.keras --fp16 --int8   (-> artifacts/my_model/)
    """
    options = _export_options(o)
    from_file, scaling = _file_options(name, data_file, preprocess)
    if o["trt"]:  # every option is checked above; these two before the minutes of work below
        require_tensorrt()
    require_keras()
    from rich.console import Console

    with Console(stderr=True).status(f"Exporting {name}") as status:
        progress = lambda msg: status.update(f"{name}: {msg}")  # noqa: E731
        if from_file:
            from mnx.toolkit.export.keras_file import export_model_file

            data = Path(data_file) if data_file else None
            report = export_model_file(
                Path(name),
                options,
                ctx.obj.artifacts,
                data_path=data,
                preprocess=scaling,
                progress=progress,
            )
        else:
            from mnx.toolkit.export.pipeline import export

            report = export(name, options, ctx.obj.artifacts, progress=progress)
    render(report)


def _export_options(o: dict[str, Any]) -> Any:
    """The command's options as one ExportOptions with its EngineOptions (each validates its
    fields, so bad values fail now, TensorRT or not)."""
    from mnx.toolkit.export.pipeline import ExportOptions
    from mnx.toolkit.export.tensorrt import EngineOptions

    engine = EngineOptions(
        route=o["route"],
        calibrator=o["trt_calibrator"],
        min_batch=o["min_batch"],
        opt_batch=o["opt_batch"],
        max_batch=o["max_batch"],
        workspace_mib=o["workspace_mib"],
        rebuild=o["rebuild"],
    )
    return ExportOptions(
        fp16=o["fp16"],
        int8=o["int8"],
        calibration_method=o["calibration_method"],
        calibration_samples=o["calibration_samples"],
        calibration_seed=o["calibration_seed"],
        opset=o["opset"],
        trt=o["trt"],
        engine=engine,
    )


def _file_options(name: str, data_file: str | None, preprocess: str) -> tuple[bool, Preprocess]:
    """Whether NAME is a .keras file, and its pixel scaling; --data/--preprocess are for files."""
    from mnx.toolkit.external import is_model_file

    from_file = is_model_file(name)
    scaling = parse_one(Preprocess, preprocess, hint="pass --preprocess /255, normalize or none")
    if not from_file and (data_file is not None or scaling is not Preprocess.DIV255):
        raise ConfigError(
            "--data and --preprocess apply to .keras files, and a network name was given",
            expected="a path to a .keras file (registered networks have their own data)",
            fix="drop --data/--preprocess, or pass the .keras file",
        )
    return from_file, scaling


def _fmt(value: Any, spec: str, none: str = "-") -> str:
    return none if value is None else format(value, spec)


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n < 1 << 20 else f"{n / (1 << 20):.2f} MiB"


def render(report: Any) -> None:
    """Print an ExportReport as a table (stdout)."""
    from rich.console import Console
    from rich.table import Table

    images = next((v.images for v in report.variants if v.images), None)
    table = Table(title=f"{report.name}: ONNX export, vs Keras on {images or '?'} test images")
    for col in (
        "variant",
        "size",
        "params",
        "accuracy",
        "agreement",
        "max |diff|",
        "export s",
        "status",
    ):
        table.add_column(
            col, justify="left" if col in ("variant", "status") else "right", no_wrap=True
        )
    keras_acc = next((v.keras_accuracy for v in report.variants if v.keras_accuracy), None)
    if keras_acc is not None:
        table.add_row("keras", "", "", f"{keras_acc:.2%}", "", "", "", "reference")
    for v in report.variants:
        table.add_row(
            v.variant,
            _size(v.bytes),
            _fmt(v.params, ","),
            _fmt(v.accuracy, ".2%"),
            _fmt(v.agreement, ".2%"),
            _fmt(v.max_abs_diff, ".2e"),
            _fmt(v.export_seconds, ".2f"),
            v.status + (" (!)" if v.warnings else ""),
        )
    # markup off: notes such as "pip install 'mnx[tensorrt]'" contain brackets.
    console = Console(markup=False, highlight=False)
    console.width = max(console.width, 100)  # pipes report 80 columns; the table needs ~90
    console.print(table)
    if report.variants:
        console.print(
            f"Files: {report.variants[0].path.parent}/model.<variant>.onnx "
            f"(data: {report.data_source})"
        )
    if report.calibration:
        console.print(f"INT8 calibration: {report.calibration} (calibration.json)")
    for w in report.warnings:
        console.print(f"Warning: {w}", style="yellow")
    for e in report.engines:
        console.print(f"TensorRT engine: {e}")
    if report.trt_note:
        console.print(report.trt_note)


COMMANDS: list[click.Command] = [export_cmd]
