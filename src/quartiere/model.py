"""Shared values of the domain, defined once: the CRS, the criterion names and the hr_id format.

This module imports nothing from the project, so every other module may import it.

>>> split_hr_id("13a")
(13, 'a')
>>> format_hr_id(7)
'07'
>>> sorted(["13a", "02", "13"], key=hr_id_key)
['02', '13', '13a']
"""

from __future__ import annotations

import re

__all__ = [
    "CRITERIA",
    "CRITERION_LABELS",
    "CRITERION_NAMES",
    "CRS",
    "format_hr_id",
    "hr_id_key",
    "is_hr_id",
    "is_metric_crs",
    "split_hr_id",
]

#: The default coordinate reference system of every layer (ETRS89 / UTM zone 33N, metres): the
#: configuration's ``crs`` when it names none. Any projected CRS in metres works end to end (the
#: contiguity tolerance, areas and overlap shares are in metres); builds in different CRSs are
#: compared in the newer one's.
CRS = "EPSG:25833"


def is_metric_crs(crs: object) -> bool:
    """Whether ``crs`` (anything pyproj reads) is a projected CRS whose axes are in metres.

    >>> is_metric_crs("EPSG:25833"), is_metric_crs("EPSG:3035"), is_metric_crs("EPSG:4326")
    (True, True, False)
    >>> is_metric_crs(None)
    False
    """
    if crs is None:
        return False
    from pyproj import CRS as ProjCRS

    try:
        parsed = ProjCRS.from_user_input(crs)
    except Exception:  # pyproj raises its own CRSError for anything it cannot read
        return False
    units = {axis.unit_name for axis in parsed.axis_info}
    return parsed.is_projected and units == {"metre"}


#: Flag columns of the criteria, in the order of the joint initiative.
CRITERIA = ("c_mss", "c_schools", "c_atlas")
#: Short labels used in decision sentences ("meets 2 criteria (MSS, atlas)").
CRITERION_LABELS = dict(zip(CRITERIA, ("MSS", "schools", "atlas"), strict=True))
#: Full names used in summaries and maps ("the social atlas criterion").
CRITERION_NAMES = dict(zip(CRITERIA, ("MSS", "schools", "social atlas"), strict=True))

_HR_ID = re.compile(r"^(\d+)([a-z]*)$")


def split_hr_id(value: str) -> tuple[int, str]:
    """Number and letter suffix of an hr_id ("13a" -> (13, "a")); ValueError if malformed."""
    match = _HR_ID.match(str(value))
    if match is None:
        raise ValueError(f"hr_id {value!r} is not a number with optional letters")
    return int(match.group(1)), match.group(2)


def format_hr_id(number: int, suffix: str = "") -> str:
    """hr_id text of a number and optional letters: two digits at least ("01", "13a")."""
    return f"{number:02d}{suffix}"


def is_hr_id(value: object) -> bool:
    """Whether ``value`` is a well-formed hr_id (digits, then optional lower-case letters)."""
    return _HR_ID.match(str(value)) is not None


def hr_id_key(value: str) -> tuple[int, str]:
    """Sort key of an hr_id: by number, then letters ("02" < "13" < "13a").

    Malformed values sort by their digits (0 if none), so old records never break a sort.
    """
    match = _HR_ID.match(str(value))
    if match is None:
        digits = re.sub(r"\D", "", str(value))
        return int(digits or 0), str(value)
    return int(match.group(1)), match.group(2)
