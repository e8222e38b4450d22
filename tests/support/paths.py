"""Paths of the repository and of the committed real-MNIST subset."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUBSET = ROOT / "tests" / "data" / "mnist_subset.npz"
