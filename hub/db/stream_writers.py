"""Which transactions may still add to the event stream, so that consumers read up to the
oldest of them and no further.

Consumers read segments in (writing transaction id, segment id) order, so they may read
only below the lowest transaction id that could still commit a segment. The snapshot's
xmin is such a bound, but a cluster-wide one: any long transaction on the server, in any
database (a report, a backup, a migration, a colleague's test), held every consumer back.
So each transaction that writes segments first takes a shared advisory lock, before it has
a transaction id; the horizon is the lowest transaction id among the holders of that lock,
or the next id to be assigned when none holds it. A holder without an id yet will get one
above that bound. The horizon is read in a statement of its own, before the statement that
reads segments (READ COMMITTED gives that one a newer snapshot): whatever was below the
horizon had ended when it was read, so it is in the later snapshot if it committed.
"""

from sqlalchemy import text
from sqlalchemy.orm import Session

from hub.errors import ConfigError

# Two int4 keys: pg_locks shows them as classid and objid with objsubid 2.
LOCK_SPACE, LOCK_KEY = 0x53505354, 1  # "SPST", the stream's writers
TAKE = text(f"SELECT pg_advisory_xact_lock_shared({LOCK_SPACE}, {LOCK_KEY})")
# pg_locks gives 32-bit xids; they are widened against the next 64-bit id (an xid is never
# more than 2^31 behind it).
HORIZON = text(
    "WITH n AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next_id), "
    "w AS (SELECT x.transactionid::text::bigint AS xid FROM pg_locks a "
    " JOIN pg_locks x ON x.pid = a.pid AND x.locktype = 'transactionid' "
    "  AND x.mode = 'ExclusiveLock' AND x.granted "
    " WHERE a.locktype = 'advisory' AND a.granted AND a.objsubid = 2 "
    f"  AND a.classid = {LOCK_SPACE}::oid AND a.objid = {LOCK_KEY}::oid "
    "  AND a.database = (SELECT oid FROM pg_database WHERE datname = current_database())) "
    "SELECT least(n.next_id, min(n.next_id - (n.next_id - w.xid) % 4294967296)), "
    "current_setting('transaction_isolation') FROM n LEFT JOIN w ON true GROUP BY n.next_id"
)


def take_writer_lock(session: Session) -> None:
    """First statement of a transaction that may write stream segments."""
    session.execute(TAKE)


def read_horizon(session: Session) -> int:
    """Segments with a lower transaction id are final: read them in a later statement."""
    horizon, isolation = session.execute(HORIZON).one()
    if isolation != "read committed":  # a single snapshot would predate the horizon
        raise ConfigError(f"stream consumers need READ COMMITTED, not {isolation}")
    return int(horizon)
