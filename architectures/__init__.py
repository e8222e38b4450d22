"""The mnx model zoo: every seed network and its training recipe, in a registry."""

from mnx.architectures.recipe import InputLayout, Loss, Preprocessing, Recipe
from mnx.architectures.registry import Family, Network, all_networks, get, names, register

__all__ = [
    "Family",
    "InputLayout",
    "Loss",
    "Network",
    "Preprocessing",
    "Recipe",
    "all_networks",
    "get",
    "names",
    "register",
]
