"""Files at the pipeline's edge, reading and writing side by side per format.

``tables`` reads CSV and XLSX tables; ``layers`` reads polygon layers; ``gpkg`` writes the styled,
documented GeoPackage and ``builds`` reads one back as a :class:`quartiere.compare.build.Build`;
``atomic`` is the one atomic writer every output goes through. Every reader validates what it reads
and raises :class:`quartiere.errors.InputError` with one line naming the file, the row or feature,
and the problem.
"""

import pyogrio

from quartiere.io.layers import LayerReport, check_coverage, find_coverage_problems, read_layer
from quartiere.io.tables import read_table

# Reading must never write: GDAL would otherwise leave .aux.xml side files beside what it reads.
pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO"})

__all__ = ["LayerReport", "check_coverage", "find_coverage_problems", "read_layer", "read_table"]
