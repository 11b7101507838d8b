"""Robustness atlas: the delineation across plausible rule sets (docs/sensitivity.md)."""
