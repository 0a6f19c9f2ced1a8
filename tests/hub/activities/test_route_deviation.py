"""Haversine distances and the route deviation report, against distances worked out by
hand. Along a meridian the great circle is the meridian itself, so the haversine of
(lat1, lon) -> (lat2, lon) is exactly R * |lat2 - lat1| in radians: with the mean Earth
radius R = 6 371 008.8 m one degree is 6 371 008.8 * pi / 180 = 111 195.08 m, and 0.01
degree is 1 111.95 m. Along the equator likewise for longitude."""

from datetime import UTC, datetime, timedelta

import pytest

from hub.crm.activities.geo import haversine_m, path_m
from hub.crm.activities.route_deviation import Stop, deviation

DEGREE_M = 111_195.08  # 6 371 008.8 m * pi / 180
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LON = 121.0


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_haversine_along_a_meridian_and_the_equator() -> None:
    assert haversine_m((31.0, LON), (31.01, LON)) == pytest.approx(1_111.95, abs=0.01)
    assert haversine_m((0.0, 0.0), (0.0, 1.0)) == pytest.approx(DEGREE_M, abs=0.01)
    assert haversine_m((10.0, 20.0), (10.0, 20.0)) == 0.0
    # A quarter of the meridian, pole to equator: R * pi / 2 = 10 007 557.22 m.
    assert haversine_m((90.0, 0.0), (0.0, 0.0)) == pytest.approx(10_007_557.22, abs=0.01)
    # Half the globe (antipodes): R * pi = 20 015 114.44 m; asin is clamped, no domain error.
    assert haversine_m((0.0, 0.0), (0.0, 180.0)) == pytest.approx(20_015_114.44, abs=0.01)


def test_a_path_adds_its_legs() -> None:
    there_and_back = [(31.0, LON), (31.02, LON), (31.01, LON)]  # 0.02 + 0.01 degree
    assert path_m(there_and_back) == pytest.approx(0.03 * DEGREE_M, abs=0.01)
    assert path_m([(31.0, LON)]) == 0.0


def _stop(n: int | None, lat: float, made_at: int | None, visit: str = "") -> Stop:
    spot = (lat, LON)
    return Stop(
        visit_id=visit or f"v{n}",
        customer_id=f"c{n}",
        stop_no=n,
        planned=spot if n is not None else None,
        checked_in_at=_at(made_at) if made_at is not None else None,
        checked_in=spot if made_at is not None else None,
    )


def test_a_skipped_stop_and_an_unplanned_one() -> None:
    # Planned 31.00 -> 31.01 -> 31.02: 0.02 degree = 2 223.90 m. Made: stop 1, stop 3,
    # then a customer off the plan at 31.03: 0.03 degree = 3 335.85 m; stop 2 skipped.
    stops = [
        _stop(1, 31.00, 0),
        _stop(2, 31.01, None),
        _stop(3, 31.02, 30),
        _stop(None, 31.03, 60, visit="v-extra"),
    ]
    report = deviation(stops, [])
    assert report.planned_m == pytest.approx(2_223.90, abs=0.01)
    assert report.actual_m == pytest.approx(3_335.85, abs=0.01)
    assert report.extra_m == pytest.approx(1_111.95, abs=0.01)
    assert report.skipped == ["v2"]
    assert report.unplanned == ["v-extra"]
    assert report.order_changed is False
    assert report.visited_order == [1, 3]


def test_stops_made_in_another_order() -> None:
    # Made 3 (31.02), then 1 (31.00), then 2 (31.01): 0.02 + 0.01 = 0.03 degree.
    stops = [_stop(1, 31.00, 20), _stop(2, 31.01, 40), _stop(3, 31.02, 0)]
    report = deviation(stops, [])
    assert report.order_changed is True
    assert report.visited_order == [3, 1, 2]
    assert report.actual_m == pytest.approx(3_335.85, abs=0.01)
    assert report.skipped == [] and report.unplanned == []


def test_gps_points_between_check_ins_count_in_time_order() -> None:
    # Check-ins at 31.00 (09:00) and 31.02 (09:40); a detour point at 31.03 at 09:20:
    # 31.00 -> 31.03 -> 31.02 = 0.03 + 0.01 = 0.04 degree = 4 447.80 m.
    stops = [_stop(1, 31.00, 0), _stop(2, 31.02, 40)]
    report = deviation(stops, [(_at(20), (31.03, LON))])
    assert report.planned_m == pytest.approx(2_223.90, abs=0.01)
    assert report.actual_m == pytest.approx(4_447.80, abs=0.01)
    assert report.extra_m == pytest.approx(2_223.90, abs=0.01)


def test_nothing_made_is_a_day_of_skipped_stops() -> None:
    report = deviation([_stop(1, 31.0, None), _stop(2, 31.01, None)], [])
    assert report.actual_m == 0.0
    assert report.skipped == ["v1", "v2"]
    assert report.order_changed is False
