"""mnx toolkit: produces artifacts (data, training, export, engines) and runs them."""

__version__ = "0.1.0"
