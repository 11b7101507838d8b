"""quartiere: reproducible delineation of Berlin's Handlungsräume.

The package follows the data flow: ``load -> harmonize -> criteria -> delineate -> name -> export``.
"""

__version__ = "0.1.0"
