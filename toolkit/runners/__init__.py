"""Runners: load an artifact, run inference. The bench harness owns warm-up, iterations and timing."""
