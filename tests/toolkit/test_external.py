"""toolkit.external: --shapes parsing and resolution, MNIST-classifier detection, random inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnx.errors import ConfigError
from mnx.toolkit.external import (
    ModelFile,
    TensorInfo,
    mnist_layout,
    parse_shapes,
    random_inputs,
    resolve_shapes,
)


def model(inputs: list[TensorInfo], outputs: list[TensorInfo] | None = None) -> ModelFile:
    out = outputs or [TensorInfo("y", "float32", ("N", 10))]
    return ModelFile(Path("m.onnx"), "0" * 64, 1, 1, "fp32", tuple(inputs), tuple(out))


def test_parse_shapes_like_trtexec() -> None:
    assert parse_shapes("input:1x3x224x224, ids:2X16") == {
        "input": (1, 3, 224, 224),
        "ids": (2, 16),
    }
    assert parse_shapes("scope:input:1x2") == {"scope:input": (1, 2)}  # names may hold colons
    assert parse_shapes(None) == {}
    for bad in ("input", "input:", "input:1x0", ":1x2", "a:1,a:2"):
        with pytest.raises(ConfigError, match="--shapes"):
            parse_shapes(bad)


def test_resolve_batch_and_dynamic_dims() -> None:
    img = model([TensorInfo("x", "float32", ("N", 3, "H", "W"))])
    with pytest.raises(ConfigError, match=r"other than the batch in input x \(Nx3xHxW\)"):
        resolve_shapes(img, {}, 1)
    assert resolve_shapes(img, {"x": (1, 3, 64, 48)}, 8) == {"x": (8, 3, 64, 48)}
    fixed = model([TensorInfo("x", "float32", (1, 784))])
    assert resolve_shapes(fixed, {}, 1) == {"x": (1, 784)}
    assert resolve_shapes(fixed, {}, 4) == "the model's batch dimension is fixed at 1"


@pytest.mark.parametrize(
    ("dims", "outputs", "expected"),
    [
        (("N", 28, 28, 1), 10, (28, 28, 1)),
        (("N", 1, 28, 28), 10, (1, 28, 28)),
        (("N", 784), 10, (784,)),
        (("N", 3, 32, 32), 10, None),
        (("N", 784), 11, None),
    ],
)
def test_mnist_classifier_detection(
    dims: tuple[object, ...], outputs: int, expected: tuple[int, ...] | None
) -> None:
    m = model([TensorInfo("x", "float32", dims)], [TensorInfo("y", "float32", ("N", outputs))])  # type: ignore[arg-type]
    assert mnist_layout(m) == expected


def test_random_inputs_are_seeded_and_typed() -> None:
    m = model([TensorInfo("f", "float16", ("N", 4)), TensorInfo("i", "int64", ("N", 4))])
    a = random_inputs({"f": (2, 4), "i": (2, 4)}, m, seed=3)
    b = random_inputs({"f": (2, 4), "i": (2, 4)}, m, seed=3)
    assert a["f"].dtype == np.float16 and a["i"].dtype == np.int64
    assert np.array_equal(a["f"], b["f"]) and set(np.unique(a["i"])) <= {0, 1}
