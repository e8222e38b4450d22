"""mnx.toolkit.options: the shared choices, their parser and the range check."""

from __future__ import annotations

import json

import pytest

from mnx.errors import ConfigError, UnknownNameError
from mnx.toolkit.options import (
    Backend,
    Calibrator,
    KerasMode,
    Precision,
    Route,
    check_range,
    parse_many,
    parse_one,
)


def test_members_read_and_write_as_their_value() -> None:
    assert Precision.FP16 == "fp16" and f"{Backend.ORT_CUDA}" == "ort-cuda"
    assert str(Route.BUILDER_FLAGS) == "builder-flags" and Calibrator("minmax") is Calibrator.MINMAX
    assert json.dumps([Backend.TRT, KerasMode.FUNCTION]) == '["trt", "function"]'
    assert Backend.TRT.needs_gpu and not Backend.ORT.needs_gpu


def test_parse_suggests_and_lists_choices() -> None:
    assert parse_one(Backend, " ORT ") is Backend.ORT
    with pytest.raises(UnknownNameError, match="Unknown backend 'kerass'. Did you mean 'keras'"):
        parse_one(Backend, "kerass")
    with pytest.raises(UnknownNameError, match="Unknown Keras mode 'predict'"):
        parse_one(KerasMode, "predict")


def test_parse_many_keeps_order_drops_duplicates_needs_one() -> None:
    assert parse_many(Precision, ["int8", "fp32", "INT8"]) == (Precision.INT8, Precision.FP32)
    with pytest.raises(ConfigError, match="No precision given"):
        parse_many(Precision, [])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Threads 0 is out of range"),
        (257, "Threads 257 is out of range. Expected: a value from 1 to 256"),
        (float("inf"), "Threads inf is out of range"),
        (float("nan"), "Threads nan is out of range"),
    ],
)
def test_check_range_names_the_range(value: float, message: str) -> None:
    check_range("Threads", 2, 1, 256, fix="x")
    check_range("Threads", None, 1, 256, fix="x")  # not given
    with pytest.raises(ConfigError, match=message):
        check_range("Threads", value, 1, 256, fix="pass --threads 2")
