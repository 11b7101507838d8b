"""Robustness atlas: the delineation across thousands of plausible rule sets (docs/sensitivity.md)."""
