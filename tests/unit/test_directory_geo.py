"""Distances for the directory: one arithmetic formula that SQL computes too, close enough
to the great-circle distance on the scale of a region."""

import math

import pytest

from directory import geo

CARCASSONNE = geo.Point(43.2130, 2.3491)
NARBONNE = (43.1843, 3.0041)
TOULOUSE = (43.6045, 1.4440)


def great_circle_km(a: geo.Point, lat: float, lon: float) -> float:
    p1, p2 = math.radians(a.latitude), math.radians(lat)
    dp, dl = p2 - p1, math.radians(lon - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@pytest.mark.parametrize("other", [NARBONNE, TOULOUSE])
def test_the_approximation_stays_within_half_a_percent_of_the_great_circle(other):
    exact = great_circle_km(CARCASSONNE, *other)
    assert geo.distance_km(CARCASSONNE, *other) == pytest.approx(exact, rel=0.005)


def test_carcassonne_to_narbonne_is_about_fifty_three_kilometres():
    assert 50 < geo.distance_km(CARCASSONNE, *NARBONNE) < 56


def test_a_radius_in_km_and_the_squared_degrees_sql_compares_agree():
    squared = geo.squared_degrees(CARCASSONNE, *NARBONNE)
    km = geo.km_from_squared_degrees(squared)
    assert geo.squared_degrees_for_km(km) == pytest.approx(squared)
    assert squared <= geo.squared_degrees_for_km(km + 0.1)
    assert squared > geo.squared_degrees_for_km(km - 0.1)


def test_the_centre_of_no_point_is_unknown_and_of_points_their_mean():
    assert geo.centroid([]) is None
    assert geo.centroid([(43.0, 2.0), (44.0, 3.0)]) == geo.Point(43.5, 2.5)
