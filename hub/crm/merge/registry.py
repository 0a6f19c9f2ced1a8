"""Every table whose rows belong to a customer, for merges: a merge moves the merged
customer's rows of each table to the survivor (and records which), an undo moves exactly
those back. A table that gains a customer column is one more line in REFERENCES."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    table: str  # the table's name
    column: str = "customer_id"  # the column naming the customer
    key: str = "id"  # its primary key (one column), recorded as text in merge_moves
    # A column naming the event a row came from (events.event_id): a row that arrived
    # after the merge through one of the merged customer's identifiers goes back on undo.
    event_column: str | None = None


REFERENCES: tuple[Reference, ...] = (
    Reference("identities"),
    Reference("touchpoints", event_column="event_id"),
    Reference("purchases", event_column="event_id"),
    Reference("leads"),
)
IDENTITIES = REFERENCES[0]


def reference(table: str) -> Reference:
    return next(r for r in REFERENCES if r.table == table)
