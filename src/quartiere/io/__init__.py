"""Reading inputs at the pipeline's edge: tables (CSV, XLSX) and polygon layers.

Every reader validates what it reads and raises :class:`quartiere.errors.InputError` with one line
naming the file, the row or feature, and the problem.
"""

from quartiere.io.layers import LayerReport, check_coverage, find_coverage_problems, read_layer
from quartiere.io.tables import read_table

__all__ = ["LayerReport", "check_coverage", "find_coverage_problems", "read_layer", "read_table"]
