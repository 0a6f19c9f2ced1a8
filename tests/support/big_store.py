"""Many customers for one store, written straight into a migrated hub database (the
shape a snapshot reads: two identifiers, two purchases of one or two items, two tags).
They go in by COPY (100,000 customers in seconds)."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table

from hub.db.models import Customer, Identity, Purchase, PurchaseItem

TENANT = "tenant-demo"  # hub.demo.data
FIRST_ROW_ID = 50_000_000  # explicit ids, far above anything the seed or ingest takes
CHUNK = 5000


def card_uid(n: int) -> str:
    return f"B1{n:012X}"


def add_customers(engine: Engine, store_id: str, count: int, prefix: str = "big") -> list[str]:
    """`count` customers homed in `store_id`; returns their ids."""
    now = datetime.now(UTC) - timedelta(days=1)
    ids = [f"{prefix}-{n:06d}" for n in range(count)]
    with engine.begin() as conn:
        for start in range(0, count, CHUNK):
            numbers = range(start, min(count, start + CHUNK))
            _write(conn, Customer, [_customer(ids[n], store_id, now, n) for n in numbers])
            _write(conn, Identity, [i for n in numbers for i in _identities(ids[n], n, now)])
            purchases = [p for n in numbers for p in _purchases(ids[n], store_id, n, now)]
            _write(conn, Purchase, purchases)
            _write(conn, PurchaseItem, [i for p in purchases for i in _items(p["id"])])
    return ids


def _write(conn: Connection, model: Any, rows: list[dict[str, object]]) -> None:
    table: Table = model.__table__
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_copy_value(row[c]) for c in columns])


def _copy_value(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value


def _customer(customer_id: str, store_id: str, now: datetime, n: int) -> dict[str, object]:
    return {
        "id": customer_id,
        "tenant_id": TENANT,
        "name": f"王{n % 97}芳",
        "phone": None,
        "home_store_id": store_id,
        "status": "member",
        "tags": ["会员", "高血压"] if n % 3 else ["会员"],
        "created_at": now - timedelta(days=300),
        "updated_at": now - timedelta(seconds=n),
    }


def _identities(customer_id: str, n: int, now: datetime) -> list[dict[str, object]]:
    return [
        {
            "tenant_id": TENANT,
            "customer_id": customer_id,
            "kind": kind,
            "value": value,
            "created_at": now,
            "id": FIRST_ROW_ID + 2 * n + k,
        }
        for k, (kind, value) in enumerate((("card_uid", card_uid(n)), ("member_no", f"B{n:07d}")))
    ]


def _purchases(customer_id: str, store_id: str, n: int, now: datetime) -> list[dict[str, object]]:
    return [
        {
            "id": FIRST_ROW_ID + 2 * n + k,
            "tenant_id": TENANT,
            "customer_id": customer_id,
            "store_id": store_id,
            "receipt_no": f"BIG-{n:06d}-{k}",
            "terminal": "pos0",
            "at": now - timedelta(days=7 * k + n % 30),
            "total": 4700 + k,
            "currency": "CNY",
        }
        for k in range(2)
    ]


def _items(purchase_id: object) -> list[dict[str, object]]:
    assert isinstance(purchase_id, int)
    names = [("6901234567011", "阿莫西林胶囊 0.25g*24", 1850), ("6901234567028", "维生素C片", 990)]
    return [
        {
            "id": purchase_id * 2 + j,
            "purchase_id": purchase_id,
            "tenant_id": TENANT,
            "sku": sku,
            "name": name,
            "qty": 1 + j,
            "unit_price": price,
        }
        for j, (sku, name, price) in enumerate(names[: 1 + purchase_id % 2])
    ]
