"""MNIST for mnx: find or fetch, verify against reference checksums, cache; preprocess.

from mnx.toolkit.data import load_mnist, preprocess, one_hot, Mnist
"""

from mnx.toolkit.data.mnist import Mnist, cache_dir, load_mnist
from mnx.toolkit.data.preprocess import one_hot, preprocess

__all__ = ["Mnist", "cache_dir", "load_mnist", "one_hot", "preprocess"]
