"""`mnx doctor`: what this machine has and what mnx can do on it."""

from __future__ import annotations

import json

import click


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--cheap",
    is_flag=True,
    help="Skip the OpenVINO device probe (what results files record).",
)
def doctor_cmd(as_json: bool, cheap: bool) -> None:
    """Show the CPU (and its INT8 features), GPU, driver, CUDA runtime, TensorRT, ONNX Runtime,
    OpenVINO, TensorFlow and Keras, each "usable" or "missing" with the fix.

    \b
    Examples:
      mnx doctor
      mnx doctor --json > machine.json
    """
    from mnx.toolkit.doctor import doctor

    report = doctor(cheap=cheap)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.render())


COMMANDS: list[click.Command] = [doctor_cmd]
