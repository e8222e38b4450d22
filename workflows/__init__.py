"""mnx workflows: chains of steps over many artifacts (pipeline: train -> export -> bench;
reproduce: the seed notebooks' networks with their recipes)."""
