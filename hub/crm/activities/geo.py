"""Distances on the Earth: the haversine great-circle distance on a sphere of the mean
Earth radius (IUGG, 6 371 008.8 m). Good to about 0.5 % against the ellipsoid, which is
far below a phone's GPS error at the scale of a visit."""

from collections.abc import Sequence
from itertools import pairwise
from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8
LatLon = tuple[float, float]


def haversine_m(a: LatLon, b: LatLon) -> float:
    lat1, lon1, lat2, lon2 = map(radians, (a[0], a[1], b[0], b[1]))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))


def path_m(points: Sequence[LatLon]) -> float:
    """Length of the path through `points` in order."""
    return sum(haversine_m(a, b) for a, b in pairwise(points))
