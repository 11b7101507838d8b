"""Zone transfer on tiny synthetic layers whose answers can be worked out by hand."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from quartiere.harmonize import overlay_weights, transfer_intensive


def layer(boxes: dict[str, tuple[float, float, float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        [shapely.box(*b) for b in boxes.values()], index=list(boxes), crs="EPSG:25833"
    )


# Two source zones side by side (each 100 x 100 m); one target straddles both, 3/4 in A.
SOURCE = layer({"A": (0, 0, 100, 100), "B": (100, 0, 200, 100)})
TARGET = layer({"T1": (25, 0, 125, 100), "T2": (125, 0, 200, 100), "T0": (0, 0, 25, 100)})


def test_area_weights_record_shares_of_both_sides():
    w = overlay_weights(SOURCE, TARGET, weight="area").set_index(["source", "target"])
    assert w.loc[("A", "T1"), "area_m2"] == pytest.approx(7500)
    assert w.loc[("A", "T1"), "source_share"] == pytest.approx(0.75)
    assert w.loc[("B", "T1"), "target_share"] == pytest.approx(0.25)
    # touching boundaries (T2 and A share only an edge) give no overlap row
    assert ("A", "T2") not in w.index


def test_intensive_is_area_weighted_mean():
    w = overlay_weights(SOURCE, TARGET, weight="area")
    out = transfer_intensive(w, pd.Series({"A": 10.0, "B": 50.0}), TARGET.index)
    assert out.loc["T1", "value"] == pytest.approx(0.75 * 10 + 0.25 * 50)
    assert out.loc["T2", "value"] == pytest.approx(50)


def test_population_weighting_favours_the_dense_source():
    pop = pd.Series({"A": 0.0 + 100, "B": 900.0})
    w = overlay_weights(SOURCE, TARGET, weight="population", source_population=pop)
    out = transfer_intensive(w, pd.Series({"A": 10.0, "B": 50.0}), TARGET.index)
    # T1 holds 75 inhabitants of A and 225 of B
    assert out.loc["T1", "value"] == pytest.approx((75 * 10 + 225 * 50) / 300)


def test_intensive_no_data_below_min_coverage():
    w = overlay_weights(SOURCE, TARGET, weight="area")
    values = pd.Series({"A": np.nan, "B": 50.0})
    out = transfer_intensive(w, values, TARGET.index, min_coverage=0.5)
    assert np.isnan(out.loc["T1", "value"])  # only 25 % of T1 carries a value
    assert out.loc["T1", "coverage"] == pytest.approx(0.25)
    assert np.isnan(out.loc["T0", "value"])
    lenient = transfer_intensive(w, values, TARGET.index, min_coverage=0.2)
    assert lenient.loc["T1", "value"] == pytest.approx(50)


def test_reverse_equals_overlay_the_other_way():
    from pandas.testing import assert_frame_equal

    from quartiere.harmonize import overlay, reverse

    assert_frame_equal(reverse(overlay(SOURCE, TARGET)), overlay(TARGET, SOURCE))
