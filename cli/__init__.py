"""The `mnx` command line: parse, call one library function, render.

Heavy modules (TensorFlow, ONNX Runtime, TensorRT) are imported inside commands, so `mnx --help`
is instant and works without them. Library code raises `mnx.errors.MnxError`; `main` turns it
into one message and an exit code (2 usage, 1 other), with a traceback only under `--debug`.
"""

from __future__ import annotations

import os
import sys

import click

from mnx.errors import MnxError
from mnx.toolkit import __version__


class Context:
    """Options shared by every command."""

    def __init__(self, debug: bool, artifacts: str | None) -> None:
        from mnx.toolkit.artifacts import artifacts_root

        self.debug = debug
        self.artifacts = artifacts_root(artifacts)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mnx")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option(
    "--artifacts",
    type=click.Path(file_okay=False),
    default=None,
    help="Artifacts directory (default: $MNX_ARTIFACTS or ./artifacts).",
)
@click.option(
    "--arch-file",
    type=click.Path(dir_okay=False),
    multiple=True,
    help="A Python file with extra @register-ed architectures (repeatable).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, artifacts: str | None, arch_file: tuple[str, ...]) -> None:
    """mnx: train the classic Keras MNIST networks, export them to ONNX (FP32, FP16, INT8) and
    TensorRT, and benchmark every variant on Keras, ONNX Runtime and TensorRT in one table.

    \b
    Examples:
      mnx list
      mnx train cnn9
      mnx export cnn9 --fp16 --int8
      mnx bench cnn9 --backend ort
      mnx pipeline mlp_512_128 --quick
    """
    if debug:
        os.environ["MNX_DEBUG"] = "1"
    ctx.obj = Context(debug=debug, artifacts=artifacts)
    if arch_file:
        from mnx.architectures.registry import load_arch_file

        for f in arch_file:
            load_arch_file(f)
    from mnx.toolkit import user_archs

    user_archs.install(ctx.obj.artifacts)  # names trained from an --arch-file are found again


def _register_commands() -> None:
    # Each area owns a small module of thin commands.
    from mnx.cli import (
        bench_cmds,
        data_cmds,
        doctor_cmds,
        export_cmds,
        pipeline_cmds,
        report_cmds,
        reproduce_cmds,
        train_cmds,
        zoo_cmds,
    )

    for module in (
        data_cmds,
        zoo_cmds,
        train_cmds,
        export_cmds,
        bench_cmds,
        pipeline_cmds,
        report_cmds,
        reproduce_cmds,
        doctor_cmds,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point."""
    _register_commands()
    args = argv if argv is not None else sys.argv[1:]
    debug = "--debug" in args
    if not debug:
        # TF's C++ logs (INFO..ERROR: device probes, "failed call to cuInit" on a CPU machine);
        # Python-level errors still surface, and --debug shows everything. TensorFlow itself is
        # imported only by the commands that need it, after their options were checked
        # (cli.common.require_keras), so a usage error never pays its import.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        cli.main(args=argv, prog_name="mnx", standalone_mode=False)
    except MnxError as exc:
        if debug:
            raise
        click.secho(f"Error: {exc.render()}", fg="red", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("Interrupted; no partial artifact was kept.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except Exception as exc:
        # Not a user's mistake (those are MnxError, ConfigError for options): a bug in mnx.
        if debug:
            raise
        first = (str(exc).splitlines() or [""])[0][:300]
        click.secho(
            f"Error: internal error ({type(exc).__name__}: {first}). This is a bug in mnx; "
            "run again with --debug for the traceback and report it.",
            fg="red",
            err=True,
        )
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
