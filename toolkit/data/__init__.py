"""MNIST for mnx: find or fetch, verify against reference checksums, cache; preprocess.

from toolkit.data import load_mnist, preprocess, one_hot, Mnist
"""

from toolkit.data.mnist import Mnist, cache_dir, load_mnist
from toolkit.data.preprocess import one_hot, preprocess

__all__ = ["Mnist", "cache_dir", "load_mnist", "one_hot", "preprocess"]
