"""The two artifact steps of the multi-run workflows (reproduce, `train --seeds`): train (or
reuse) and export. Their only calls into toolkit.train and toolkit.export, so the artifact store
can take them over in one place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mnx.toolkit.data import Mnist
    from mnx.toolkit.train import TrainConfig, TrainResult


def train_or_reuse(
    name: str, config: TrainConfig, root: Path, data: Mnist
) -> tuple[TrainResult, bool]:
    """The recorded result of a current model (same recipe, config and data, trusted by the
    artifact store), else a new training. Second value: trained now."""
    from mnx.toolkit.make import ensure_trained

    trained = ensure_trained(name, (config,), root, data)
    return trained.result, trained.ran


def export_accuracies(
    name: str, root: Path, data: Mnist, say: Callable[[str], None]
) -> tuple[Any, Any]:
    """Export FP32 and INT8 ONNX (current files are kept) and return their test accuracies."""
    from mnx.errors import DataError
    from mnx.toolkit.data import load_mnist
    from mnx.toolkit.export.pipeline import ExportOptions, export

    # export() loads MNIST itself; on a Ray worker that is the node's copy, which must be the
    # data the model was trained on (the driver's).
    here = load_mnist()
    if here.sha256 != data.sha256:
        raise DataError(
            f"The MNIST found here ({here.source}) is not the data '{name}' was trained on",
            expected=f"dataset sha256 {data.sha256[:16]}... (got {here.sha256[:16]}...)",
            fix="make the same MNIST available on every node (`mnx data`, or MNX_MNIST)",
        )
    report = export(
        name,
        ExportOptions(fp16=False, int8=True, trt=False),
        root,
        progress=lambda m: say(f"    export {name}: {m}"),
    )
    acc = {v.variant: v.accuracy for v in report.variants}
    return acc.get("fp32"), acc.get("int8.u8", acc.get("int8"))
