"""Demo runs: realistic osquery agent output with known ground truth (truth.json)."""
