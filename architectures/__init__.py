"""The mnx model zoo: every seed network and its training recipe, in a registry."""

from architectures.recipe import InputLayout, Loss, Preprocessing, Recipe
from architectures.registry import Family, Network, all_networks, get, names, register

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
