"""The 38 seed networks, one module per notebook."""
