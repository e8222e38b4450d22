"""A builder for reproduce's rows, so tests set only the fields they are about."""

from __future__ import annotations

from mnx.workflows.reproduce import ReproRow


def repro_row(**fields: object) -> ReproRow:
    """A ReproRow with neutral figures; tests set the fields they are about."""
    base: dict[str, object] = dict(
        name="linear", notebook="003", section="s", params=1, epochs=1,
        reported_test_accuracy=None, test_accuracy=0.9, reported_test_loss=None,
        test_loss=0.1, reported_train_accuracy=None, train_accuracy=None,
        reported_train_loss=None, train_loss=None, seconds_per_epoch=1.0,
        onnx_fp32_accuracy=None, onnx_int8_accuracy=None, trained_now=True, full_recipe=True,
    )  # fmt: skip
    return ReproRow(**{**base, **fields})  # type: ignore[arg-type]
