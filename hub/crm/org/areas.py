"""A store's area: a circle or a polygon on the map, in WGS 84 degrees. Customers who live
inside it belong to the store when the tenant's ownership rule is `area`
(hub/crm/ownership.py). Distances are great-circle (haversine on a sphere of the Earth's
mean radius): within a city the error is far below a street's width."""

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, TypeAdapter

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius

Latitude = Annotated[StrictFloat, Field(ge=-90, le=90)]
Longitude = Annotated[StrictFloat, Field(ge=-180, le=180)]


class _Area(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RadiusArea(_Area):
    kind: Literal["radius"]
    latitude: Latitude = Field(examples=[31.1955])
    longitude: Longitude = Field(examples=[121.4387])
    radius_m: StrictFloat = Field(gt=0, le=50_000, examples=[3000.0])


class PolygonArea(_Area):
    kind: Literal["polygon"]
    points: list[tuple[Latitude, Longitude]] = Field(
        min_length=3,
        max_length=500,
        description="[latitude, longitude] corners in order; the last joins the first",
    )


StoreArea = Annotated[RadiusArea | PolygonArea, Field(discriminator="kind")]
_STORED: TypeAdapter[RadiusArea | PolygonArea] = TypeAdapter(StoreArea)


def stored_area(doc: object) -> RadiusArea | PolygonArea:
    """An area as stores.area holds it (its JSON)."""
    return _STORED.validate_python(doc)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def contains(area: RadiusArea | PolygonArea, latitude: float, longitude: float) -> bool:
    if isinstance(area, RadiusArea):
        return distance_m(area.latitude, area.longitude, latitude, longitude) <= area.radius_m
    return _inside(area.points, latitude, longitude)


def centre(area: RadiusArea | PolygonArea) -> tuple[float, float]:
    """Where distances to the store's area are measured from (the corners' mean for a
    polygon: areas are a few kilometres across, far from the poles and the date line)."""
    if isinstance(area, RadiusArea):
        return area.latitude, area.longitude
    lats, lons = zip(*area.points, strict=True)
    return sum(lats) / len(lats), sum(lons) / len(lons)


def _inside(points: list[tuple[float, float]], lat: float, lon: float) -> bool:
    """Ray casting along the latitude line: odd crossings mean inside (planar in degrees,
    which is exact enough for areas of a city's size)."""
    inside = False
    for (lat_a, lon_a), (lat_b, lon_b) in zip(points, points[1:] + points[:1], strict=True):
        if (lat_a > lat) != (lat_b > lat):
            crossing = lon_a + (lat - lat_a) * (lon_b - lon_a) / (lat_b - lat_a)
            if lon < crossing:
                inside = not inside
    return inside
