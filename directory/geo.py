"""Distances on the scale of a territory, with one formula that SQL can compute too.

The equirectangular approximation: within a region (a few hundred kilometres) it stays
within 0.5 % of the great-circle distance, and it needs nothing but arithmetic, so SQLite
(without its optional math functions) and PostgreSQL filter and sort by the same number
that the page shows. SQL compares squared degrees (no square root); Python shows km.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KM_PER_DEGREE = 111.195  # mean Earth radius (6,371 km) × π / 180


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    @property
    def longitude_scale(self) -> float:
        """How much shorter a degree of longitude is than one of latitude, here."""
        return math.cos(math.radians(self.latitude))


def squared_degrees(origin: Point, latitude: float, longitude: float) -> float:
    """What SQL computes: the squared distance in degrees of latitude."""
    dy = latitude - origin.latitude
    dx = (longitude - origin.longitude) * origin.longitude_scale
    return dy * dy + dx * dx


def km_from_squared_degrees(value: float) -> float:
    return KM_PER_DEGREE * math.sqrt(max(value, 0.0))


def squared_degrees_for_km(km: float) -> float:
    return (km / KM_PER_DEGREE) ** 2


def distance_km(origin: Point, latitude: float, longitude: float) -> float:
    return km_from_squared_degrees(squared_degrees(origin, latitude, longitude))


def centroid(points: list[tuple[float, float]]) -> Point | None:
    """The mean of these (latitude, longitude) pairs; None without any."""
    if not points:
        return None
    return Point(sum(p[0] for p in points) / len(points),
                 sum(p[1] for p in points) / len(points))
