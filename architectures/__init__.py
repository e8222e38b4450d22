"""The mnx model zoo: every seed network and its training recipe, in a registry."""

from architectures.recipe import InputLayout, Preprocessing, Recipe
from architectures.registry import Family, Network, all_networks, get, names, register

__all__ = [
    "Family",
    "InputLayout",
    "Network",
    "Preprocessing",
    "Recipe",
    "all_networks",
    "get",
    "names",
    "register",
]
