"""FLOPs per image from the ONNX graph: checked against hand counts of the zoo's layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnx.bench.flops import onnx_flops_per_image


@pytest.fixture(scope="module")
def fp32_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import keras

    from mnx import architectures
    from mnx.toolkit.export.onnx import onnx_from_keras

    out = {}
    root = tmp_path_factory.mktemp("flops")
    for name in ("cnn1", "linear"):
        keras.utils.set_random_seed(0)
        keras_path = root / f"{name}.keras"
        architectures.get(name).build().save(keras_path)
        out[name] = root / f"{name}.onnx"
        onnx_from_keras(keras_path, out[name], 17)
    return out


def test_cnn_flops_match_hand_count(fp32_models: dict[str, Path]) -> None:
    # cnn1: conv 5x5x1->32 on 24x24, conv 5x5x32->64 on 8x8, dense 1024->512->128->10.
    macs = 24 * 24 * 32 * 25 + 8 * 8 * 64 * 32 * 25 + 1024 * 512 + 512 * 128 + 128 * 10
    # tf2onnx's Flatten is a Shape -> Reshape chain; the dense layers after it must be counted.
    assert onnx_flops_per_image(fp32_models["cnn1"]) == 2 * macs


def test_mlp_flops_match_hand_count(fp32_models: dict[str, Path]) -> None:
    assert onnx_flops_per_image(fp32_models["linear"]) == 2 * (784 * 10 + 10 * 10)
