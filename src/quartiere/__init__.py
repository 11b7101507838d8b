"""quartiere: reproducible delineation of Berlin's Handlungsräume.

The package follows the data flow: ``load -> harmonize -> criteria -> delineate -> name -> export``.
"""

__version__ = "0.1.0"

ATTRIBUTION = (
    "Datenquelle: Amt für Statistik Berlin-Brandenburg / Senatsverwaltungen Berlin, CC BY 3.0 DE"
)
"""Attribution the licences of the Berlin open data require on every product made from them."""
