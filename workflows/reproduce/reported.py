"""What the seed notebooks reported, beside the test accuracy that the registry carries, and the
thresholds the comparison uses. Figures from docs/catalog.md."""

from __future__ import annotations

NOTEBOOKS = ("000", "001", "002", "003", "004")

# What each notebook reported, beyond the test accuracy that the registry carries
# (docs/catalog.md: 000's per-model logs, 001's final_output table, 002's conclusion table,
# 003's logs, 004's conclusion table). Keys: train_loss, train_accuracy, test_loss.
REPORTED_EXTRA: dict[str, dict[str, float]] = {
    # 000: last-epoch train loss/acc and the printed test loss
    "conv2_keras": {"test_loss": 0.0258},
    "conv3_bn": {"train_loss": 0.0018, "train_accuracy": 0.9997, "test_loss": 0.0207},
    "conv5_bn": {"train_loss": 0.0333, "train_accuracy": 0.9908, "test_loss": 0.01965},
    "conv7_bn": {"train_loss": 0.0374, "train_accuracy": 0.9901, "test_loss": 0.02064},
    "conv3_bn_aug": {"train_loss": 0.0016, "train_accuracy": 0.9997, "test_loss": 0.01832},
    "conv2_keras_glorot": {"train_loss": 0.0265, "train_accuracy": 0.9915, "test_loss": 0.02884},
    # 001: TRAIN_LOSS (where the log shows it), TEST_LOSS, TRAIN_ACC
    "m21_k3": {"train_loss": 0.0043, "test_loss": 0.05639, "train_accuracy": 0.99870},
    "m22_k5": {"test_loss": 0.06200, "train_accuracy": 0.99898},
    "m23_k3_reg": {"test_loss": 0.05771, "train_accuracy": 0.97355},
    "m24_k5_reg": {"test_loss": 0.04970, "train_accuracy": 0.98045},
    "m31_k3": {"train_loss": 0.0114, "test_loss": 0.08567, "train_accuracy": 0.99605},
    "m32_k5_same": {"test_loss": 0.05867, "train_accuracy": 0.99938},
    "m33_k3_reg": {"train_loss": 0.4088, "test_loss": 0.12611, "train_accuracy": 0.88702},
    "m34_k5_reg": {"train_loss": 0.2488, "test_loss": 0.09296, "train_accuracy": 0.94485},
    "m51_k3_bnhead": {"test_loss": 0.06690, "train_accuracy": 0.99763},
    "m52_k5_bnhead": {"test_loss": 0.05095, "train_accuracy": 0.99762},
    "m53_k3_reg": {"train_loss": 0.2826, "test_loss": 0.09166, "train_accuracy": 0.93482},
    "m54_k5_reg": {"train_loss": 0.2086, "test_loss": 0.09011, "train_accuracy": 0.95897},
    "m71_k3_reg": {"test_loss": 0.07435, "train_accuracy": 0.97978},
    "m72_k5_reg": {"train_loss": 0.0895, "test_loss": 0.07064, "train_accuracy": 0.98602},
    # 002: conclusion table (train acc/loss, test loss); 512-128 only its last-epoch log
    "mlp_512_128": {"train_loss": 0.0061, "train_accuracy": 0.9982},
    "mlp_400_100_bn": {"train_loss": 0.0627, "train_accuracy": 0.9799, "test_loss": 0.054605},
    "mlp_400_200_100_bn": {"train_loss": 0.0743, "train_accuracy": 0.9773, "test_loss": 0.06033},
    "mlp_500_350_200_100_50_bn": {
        "train_loss": 0.1089,
        "train_accuracy": 0.9729,
        "test_loss": 0.074355,
    },
    # 003: last-epoch logs
    "linear": {"train_loss": 0.2838, "train_accuracy": 0.9200, "test_loss": 0.3114},
    "mlp_3x1500": {"train_loss": 0.0071, "train_accuracy": 0.9981, "test_loss": 0.0977},
    "mlp_3x1500_do": {"train_loss": 0.0661, "train_accuracy": 0.9845},
    "conv2_k5_adam": {"train_loss": 0.0023, "train_accuracy": 0.9992},
    # 004: conclusion table (train loss, validation loss = test loss, train accuracy)
    "cnn1": {"train_loss": 0.0196, "test_loss": 0.0249, "train_accuracy": 0.9941},
    "cnn2": {"train_loss": 0.0151, "test_loss": 0.0212, "train_accuracy": 0.9952},
    "cnn3": {"train_loss": 0.0108, "test_loss": 0.0309, "train_accuracy": 0.9969},
    "cnn4": {"train_loss": 0.0020, "test_loss": 0.0288, "train_accuracy": 0.9994},
    "cnn5": {"train_loss": 0.0104, "test_loss": 0.0241, "train_accuracy": 0.9968},
    "cnn6": {"train_loss": 0.0022, "test_loss": 0.0299, "train_accuracy": 0.9994},
    "cnn7": {"train_loss": 0.0042, "test_loss": 0.0233, "train_accuracy": 0.9988},
    "cnn8": {"train_loss": 0.0078, "test_loss": 0.0196, "train_accuracy": 0.9979},
    "cnn9": {"train_loss": 0.0035, "test_loss": 0.0222, "train_accuracy": 0.9988},
    "cnn10": {"train_loss": 0.0067, "test_loss": 0.0287, "train_accuracy": 0.9980},
}

# The seed's per-epoch test (= validation) accuracy over its last epochs, from the training logs
# the notebooks printed (docs/catalog.md, "Per-epoch val_acc"; 001 and 002 printed none). conv2_keras's
# table figure (99.26) is a stray later fragment, not its epoch-12 log (docs/catalog.md).
REPORTED_LAST_EPOCHS: dict[str, tuple[float, ...]] = {
    "conv2_keras": (0.9913, 0.9909, 0.9913, 0.9921, 0.9926),  # epochs 9-12, then the fragment
    "conv3_bn": (0.9925, 0.9937, 0.9946, 0.9932, 0.9945),
    "conv5_bn": (0.9940, 0.9933, 0.9944, 0.9941, 0.9948),
    "conv7_bn": (0.9932, 0.9927, 0.9942, 0.9935, 0.9944),
    "conv3_bn_aug": (0.9931, 0.9942, 0.9928, 0.9947, 0.9941),
    "conv2_keras_glorot": (0.9906, 0.9900, 0.9911, 0.9908, 0.9922),
    "linear": (0.9188, 0.9219, 0.9174, 0.9188, 0.9159),
    "mlp_3x1500": (0.9854, 0.9843, 0.9801, 0.9813, 0.9842),
    "mlp_3x1500_do": (0.9842, 0.9835, 0.9823, 0.9842, 0.9840),
    "conv2_k5_adam": (0.9915, 0.9923, 0.9909, 0.9902, 0.9917),
    "cnn1": (0.9929, 0.9932, 0.9932, 0.9934, 0.9936),
    "cnn2": (0.9903, 0.9935, 0.9937, 0.9929, 0.9940),
    "cnn3": (0.9918, 0.9894, 0.9927, 0.9921, 0.9929),
    "cnn4": (0.9940, 0.9937, 0.9945, 0.9943, 0.9937),
    "cnn5": (0.9920, 0.9928, 0.9922, 0.9944, 0.9938),
    "cnn6": (0.9938, 0.9942, 0.9937, 0.9933, 0.9938),
    "cnn7": (0.9947, 0.9945, 0.9954, 0.9941, 0.9948),
    "cnn8": (0.9935, 0.9940, 0.9930, 0.9953, 0.9951),
    "cnn9": (0.9942, 0.9949, 0.9945, 0.9939, 0.9954),
    "cnn10": (0.9934, 0.9941, 0.9928, 0.9933, 0.9944),
}

# Differences larger than this (percentage points of test accuracy) are flagged for a look.
FLAG_PP = 0.3
# Test accuracy is compared at the last epoch, as the notebooks did; the spread of the last
# SWING_EPOCHS epochs' test accuracy says how much of a difference that choice alone can make.
SWING_EPOCHS = 5
