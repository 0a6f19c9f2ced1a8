"""Which store a customer belongs to, by the tenant's rule (`tenants.ownership_rule`):

- `home_store`: the store they were enrolled at (or first seen at);
- `most_visits_90d`: the store they visited (card, ID card or checkout) most in the last
  90 days, the latest visit breaking a tie;
- `area`: the store whose area (hub/crm/org/areas.py) holds where they live, the nearest
  area's centre when several do.

A rule that names no store for someone (no visits in 90 days, no address, outside every
area) falls back to the home store. A tap at another store of the tenant shows this store
and the customer's purchases there (the cache entry's home_store_*)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import text
from sqlalchemy.orm import Session

from hub.crm.org.areas import PolygonArea, RadiusArea, centre, contains, distance_m, stored_area

OwnershipRule = Literal["home_store", "most_visits_90d", "area"]
RULES: tuple[str, ...] = get_args(OwnershipRule)
VISIT_WINDOW = timedelta(days=90)
VISIT_KINDS = ["visit", "checkout"]

# With the home store's name: under the default rule (home_store) this and the purchase
# counts are all; the other rules read store names only for whom they name another store.
# (A count per customer as a correlated subquery was tried: with stale statistics on a
# fresh purchases table the planner scanned it once per customer, and a 100k snapshot
# stalled.)
CUSTOMERS = text(
    "SELECT c.id, c.tenant_id, c.home_store_id, c.latitude, c.longitude, t.ownership_rule, "
    "coalesce(s.name, '') AS home_name FROM customers c JOIN tenants t ON t.id = c.tenant_id "
    "LEFT JOIN stores s ON s.id = c.home_store_id WHERE c.id = ANY(:ids)"
)
MOST_VISITED = text(
    "SELECT DISTINCT ON (customer_id) customer_id, store_id FROM touchpoints "
    "WHERE customer_id = ANY(:ids) AND at >= :since AND kind = ANY(:kinds) "
    "GROUP BY customer_id, store_id ORDER BY customer_id, count(*) DESC, max(at) DESC"
)
AREAS = text(
    "SELECT id, tenant_id, area FROM stores WHERE tenant_id = ANY(:tenants) "
    "AND jsonb_typeof(area) = 'object' ORDER BY id"
)
PURCHASES_AT = text(
    "SELECT customer_id, store_id, count(*) FROM purchases WHERE customer_id = ANY(:ids) "
    "GROUP BY customer_id, store_id"
)
STORE_NAMES = text("SELECT id, name FROM stores WHERE id = ANY(:ids)")


@dataclass(frozen=True)
class Owner:
    store_id: str | None
    store_name: str
    purchases: int  # theirs at that store, all time


def owners(session: Session, customer_ids: Iterable[str], now: datetime) -> dict[str, Owner]:
    """The owning store of each customer (those that exist), by their tenant's rule."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = session.execute(CUSTOMERS, {"ids": ids}).all()
    by_rule: dict[str, str | None] = {}
    visits = [r.id for r in rows if r.ownership_rule == "most_visits_90d"]
    if visits:
        params = {"ids": visits, "since": now - VISIT_WINDOW, "kinds": VISIT_KINDS}
        by_rule.update(dict(session.execute(MOST_VISITED, params).all()))
    living = [r for r in rows if r.ownership_rule == "area" and r.latitude is not None]
    if living:
        areas = session.execute(AREAS, {"tenants": sorted({r.tenant_id for r in living})}).all()
        for r in living:
            by_rule[r.id] = _area_store(
                [(s.id, stored_area(s.area)) for s in areas if s.tenant_id == r.tenant_id],
                r.latitude,
                r.longitude,
            )
    store_of = {r.id: by_rule.get(r.id) or r.home_store_id for r in rows}
    counts = {(c, s): n for c, s, n in session.execute(PURCHASES_AT, {"ids": ids}).all()}
    names = {r.home_store_id: r.home_name for r in rows if r.home_store_id}
    elsewhere = sorted({s for s in store_of.values() if s and s not in names})
    if elsewhere:
        names.update(session.execute(STORE_NAMES, {"ids": elsewhere}).all())
    return {
        c: Owner(s, names.get(s, "") if s else "", counts.get((c, s), 0) if s else 0)
        for c, s in store_of.items()
    }


def _area_store(
    areas: list[tuple[str, RadiusArea | PolygonArea]], latitude: float, longitude: float
) -> str | None:
    """The store whose area holds the point, the nearest centre first; None: no area."""

    def away(item: tuple[str, RadiusArea | PolygonArea]) -> tuple[float, str]:
        lat, lon = centre(item[1])
        return distance_m(lat, lon, latitude, longitude), item[0]

    holding = [item for item in areas if contains(item[1], latitude, longitude)]
    return min(holding, key=away)[0] if holding else None
