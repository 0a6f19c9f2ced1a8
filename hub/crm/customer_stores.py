"""The stores a customer belongs to: their home store and every store that served them
(a touchpoint or a purchase there). A store's gateways cache exactly these customers."""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

STORES_OF_CUSTOMERS = text(
    "SELECT DISTINCT s.store_id, c.id FROM unnest(CAST(:ids AS text[])) AS c(id) "
    "CROSS JOIN LATERAL (SELECT home_store_id AS store_id FROM customers WHERE id = c.id "
    "UNION SELECT store_id FROM touchpoints WHERE customer_id = c.id "
    "UNION SELECT store_id FROM purchases WHERE customer_id = c.id) AS s "
    "WHERE s.store_id IS NOT NULL"
)


def stores_of_customers(session: Session, customer_ids: Iterable[str]) -> dict[str, set[str]]:
    """store_id -> those of `customer_ids` that belong to the store (its gateways cache them)."""
    ids = sorted(set(customer_ids))
    result: dict[str, set[str]] = defaultdict(set)
    if not ids:
        return {}
    for store_id, customer_id in session.execute(STORES_OF_CUSTOMERS, {"ids": ids}):
        result[store_id].add(customer_id)
    return dict(result)
