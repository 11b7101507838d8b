"""Files at the pipeline's edge, reading and writing side by side per format.

``tables`` reads CSV and XLSX tables; ``layers`` reads polygon layers; ``gpkg`` writes the styled,
documented GeoPackage and ``builds`` reads one back as a :class:`quartiere.record.Build`;
``atomic`` is the one atomic writer every output goes through. Every reader validates what it reads
and raises :class:`quartiere.errors.InputError` with one line naming the file, the row or feature,
and the problem.
"""

import os

# Reading must never write: GDAL would otherwise leave .aux.xml side files beside what it reads.
# Set in the environment (GDAL reads it when a dataset opens), so that importing this package
# (e.g. quartiere.io.atomic, before a build forks its map process) imports neither pyogrio nor
# pandas.
os.environ.setdefault("GDAL_PAM_ENABLED", "NO")
