"""Files at the pipeline's edge, reading and writing side by side per format.

``tables`` reads CSV and XLSX tables; ``layers`` reads polygon layers; ``gpkg`` writes the styled,
documented GeoPackage and ``builds`` reads one back as a :class:`quartiere.record.Build`;
``atomic`` is the one atomic writer every output goes through. Every reader validates what it reads
and raises :class:`quartiere.errors.InputError` with one line naming the file, the row or feature,
and the problem. GDAL settings are scoped to each read (``gdal.reading``), never set at import.
"""
