"""The compression layout of the `events` hypertable, and bringing an existing one to it.

Databases made before migration 0011 segment compressed chunks by `store_id` (ordered by
occurred_at): the stream's readers, which fetch a segment's events by gateway, epoch and
seq, then decompress whole chunks every round. Changing the settings only applies to
chunks compressed afterwards, so the chunks compressed the old way are decompressed, the
settings changed, and those chunks compressed again, all in the migration's transaction.
"""

import logging

from sqlalchemy import Connection, text

from hub.db import timescale

log = logging.getLogger(__name__)

IS_HYPERTABLE = text(
    "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'events'"
)
# Both views spell the settings as 'gateway_id,epoch' and 'seq,occurred_at DESC' (Timescale
# appends the time column to an orderby that lacks it).
TABLE_SETTINGS = text(
    "SELECT segmentby, orderby FROM timescaledb_information.hypertable_compression_settings "
    "WHERE hypertable = 'events'::regclass"
)
CHUNK_SETTINGS = text(
    "SELECT chunk::text, segmentby, orderby "
    "FROM timescaledb_information.chunk_compression_settings "
    "WHERE hypertable = 'events'::regclass ORDER BY chunk::text"
)


def is_wanted(segmentby: str | None, orderby: str | None) -> bool:
    """Segments by exactly the wanted columns, ordered by the wanted ones first."""
    order = _spelt(timescale.COMPRESS_ORDERBY)
    return segmentby == _spelt(timescale.COMPRESS_SEGMENTBY) and (
        orderby == order or (orderby or "").startswith(order + ",")
    )


def _spelt(columns: str) -> str:
    return ",".join(column.strip() for column in columns.split(","))


def settings_of(conn: Connection) -> tuple[str | None, str | None] | None:
    """(segmentby, orderby) of `events`; None when it is no hypertable here."""
    if not timescale.installed(conn) or conn.execute(IS_HYPERTABLE).first() is None:
        return None
    row = conn.execute(TABLE_SETTINGS).first()
    return (None, None) if row is None else (row[0], row[1])


def stale_chunks(conn: Connection) -> list[str]:
    """Compressed chunks of `events` not compressed the wanted way."""
    rows = conn.execute(CHUNK_SETTINGS).all()
    return [chunk for chunk, segmentby, orderby in rows if not is_wanted(segmentby, orderby)]


def apply_layout(conn: Connection) -> list[str]:
    """Bring the hypertable and its compressed chunks to the wanted settings; a no-op on
    plain PostgreSQL or when they are right already. Returns the chunks recompressed."""
    current = settings_of(conn)
    if current is None:
        return []
    table_right = is_wanted(*current)
    chunks = stale_chunks(conn)
    if table_right and not chunks:
        return []
    for chunk in chunks:
        conn.execute(text("SELECT decompress_chunk(CAST(:chunk AS regclass))"), {"chunk": chunk})
    if not table_right:
        conn.execute(text(timescale.COMPRESSION_SQL))
    for chunk in chunks:
        conn.execute(text("SELECT compress_chunk(CAST(:chunk AS regclass))"), {"chunk": chunk})
    log.info(
        "hub storage: events compressed by %s ordered by %s; %d chunks recompressed",
        timescale.COMPRESS_SEGMENTBY,
        timescale.COMPRESS_ORDERBY,
        len(chunks),
    )
    return chunks
