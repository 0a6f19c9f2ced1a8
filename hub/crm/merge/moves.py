"""The row moves of a merge and of its undo, one statement per registered table
(registry.py). Table and column names come from the registry, never from a request."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from hub.crm.merge.registry import IDENTITIES, Reference

# The identifiers an event names, as hub/projection/crm_handlers.identifier_keys reads
# them from its body (card taps, ID-card reads, POS member, lead contact). A row that
# arrived after a merge goes back on undo when its event named an identifier the merge
# moved.
EVENT_NAMED = (
    "(i.kind = 'card_uid' AND i.value = e.body->>'uid')"
    " OR (i.kind = 'member_no' AND i.value = e.body->>'member_no')"
    " OR (i.kind = 'id_hash' AND i.value = e.body->>'card_hash')"
    " OR (i.kind = e.body->'member'->>'kind' AND i.value = e.body->'member'->>'value')"
    " OR (i.kind = e.body->'contact'->>'kind' AND i.value = e.body->'contact'->>'value')"
)


def _names(ref: Reference) -> tuple[str, str, str]:
    for name in (ref.table, ref.column, ref.key, ref.event_column or "x"):
        if not name.isidentifier():
            raise ValueError(f"not a plain SQL name: {name!r}")
    return ref.table, ref.column, ref.key


def move_rows(
    session: Session, tenant_id: str, merge_id: str, ref: Reference, source: str, target: str
) -> int:
    """Move `source`'s rows of the table to `target`, recording each; how many moved."""
    table, column, key = _names(ref)
    sql = text(
        f"WITH moved AS (UPDATE {table} SET {column} = :target "
        f"WHERE tenant_id = :tenant AND {column} = :source RETURNING {key}) "
        "INSERT INTO merge_moves (tenant_id, merge_id, table_name, row_key) "
        f"SELECT :tenant, :merge, :table, CAST({key} AS text) FROM moved"
    )
    params = {"tenant": tenant_id, "merge": merge_id, "table": ref.name}
    result = session.execute(sql, {**params, "source": source, "target": target})
    return int(result.rowcount)  # type: ignore[attr-defined]


def move_back(
    session: Session, tenant_id: str, merge_id: str, ref: Reference, survivor: str, merged: str
) -> int:
    """The rows the merge moved (still the survivor's) back to the merged customer."""
    table, column, key = _names(ref)
    sql = text(
        f"UPDATE {table} AS t SET {column} = :merged FROM merge_moves m "
        "WHERE m.merge_id = :merge AND m.table_name = :table "
        f"AND CAST(t.{key} AS text) = m.row_key AND t.tenant_id = :tenant "
        f"AND t.{column} = :survivor"
    )
    params = {"tenant": tenant_id, "merge": merge_id, "table": ref.name}
    result = session.execute(sql, {**params, "survivor": survivor, "merged": merged})
    return int(result.rowcount)  # type: ignore[attr-defined]


def move_arrivals(
    session: Session, tenant_id: str, merge_id: str, ref: Reference, survivor: str, merged: str
) -> int:
    """Rows the survivor got after the merge from events that named an identifier the
    merge had moved: they were the merged customer's, and go back to them."""
    if ref.event_column is None:
        return 0
    table, column, _key = _names(ref)
    sql = text(
        f"UPDATE {table} AS t SET {column} = :merged "
        f"WHERE t.tenant_id = :tenant AND t.{column} = :survivor "
        f"AND t.{ref.event_column} IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM merge_moves m JOIN identities i ON CAST(i.id AS text) = m.row_key"
        f" JOIN events e ON e.event_id = CAST(t.{ref.event_column} AS uuid)"
        "  AND e.tenant_id = :tenant"
        f" WHERE m.merge_id = :merge AND m.table_name = '{IDENTITIES.name}'"
        f" AND ({EVENT_NAMED}))"
    )
    params = {"tenant": tenant_id, "merge": merge_id, "survivor": survivor, "merged": merged}
    result = session.execute(sql, params)
    return int(result.rowcount)  # type: ignore[attr-defined]


def both_hold(session: Session, ref: Reference, first: str, second: str) -> bool:
    """Whether each of the two customers has a row of the table."""
    table, column, _key = _names(ref)
    sql = f"SELECT count(DISTINCT {column}) FROM {table} WHERE {column} IN (:a, :b)"
    return int(session.execute(text(sql), {"a": first, "b": second}).scalar_one()) == 2
