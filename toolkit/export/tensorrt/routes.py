"""Whether this TensorRT has what a build route needs: detected with hasattr, never from the
version string (TensorRT 11 removed BuilderFlag.FP16/INT8 and the INT8 calibrators)."""

from __future__ import annotations

from typing import Any

from mnx.errors import UsageError
from mnx.toolkit.export.tensorrt.options import Route


def check_route(trt: Any, precision: str, route: Route | str) -> None:
    """Raise UsageError when this TensorRT lacks what `route` needs for `precision`."""
    version = getattr(trt, "__version__", "?")
    if Route(route) is Route.STRONGLY_TYPED:
        if not hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):
            raise UsageError(
                f"TensorRT {version} has no strongly typed networks",
                expected="TensorRT 10 or newer",
                fix="install a GPU extra (pip install 'mnx[gpu-cu13]') or use --route builder-flags",
            )
        return
    missing = []
    if precision == "fp16" and not hasattr(trt.BuilderFlag, "FP16"):
        missing.append("BuilderFlag.FP16")
    if precision == "int8":
        if not hasattr(trt.BuilderFlag, "INT8"):
            missing.append("BuilderFlag.INT8")
        if not (hasattr(trt, "IInt8EntropyCalibrator2") and hasattr(trt, "IInt8MinMaxCalibrator")):
            missing.append("the INT8 calibrators (IInt8EntropyCalibrator2/IInt8MinMaxCalibrator)")
    if missing:
        raise UsageError(
            f"TensorRT {version} has no {' or '.join(missing)}, which the builder-flags route "
            f"needs for {precision} (TensorRT 11 removed them)",
            expected="--route strongly-typed, which builds from the precision's own ONNX model",
            fix=f"mnx export <name> --{precision} --route strongly-typed",
        )
