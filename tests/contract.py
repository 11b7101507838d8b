"""The output contract of PRODUCT.md, spelled out once for the tests (not taken from the code)."""

AREA_COLUMNS = [
    "hr_id",
    "hr_name",
    "bezirk",
    "n_plr",
    "population",
    "area_km2",
    "plr_ids",
    "n_c_mss",
    "n_c_schools",
    "n_c_atlas",
]
"""Attribute fields of the ``handlungsraeume`` layer, in order (the geometry follows)."""
