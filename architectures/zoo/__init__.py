"""The 38 seed networks, one module per notebook (docs/catalog.md).

Importing this package registers every network; Keras is imported only when one is built.
"""

from mnx.architectures.zoo import nb000, nb001, nb002, nb003, nb004

__all__ = ["nb000", "nb001", "nb002", "nb003", "nb004"]
