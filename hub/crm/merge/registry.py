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
    # At most one row per customer (a household membership): a merge of two customers who
    # both have one is refused, not guessed at.
    one_per_customer: bool = False

    @property
    def name(self) -> str:
        """What merge_moves and a merge's counts call it: the table, or table.column when
        one table names a customer twice (a purchase's buyer and who it was for)."""
        return self.table if self.column == "customer_id" else f"{self.table}.{self.column}"


REFERENCES: tuple[Reference, ...] = (
    Reference("identities"),
    Reference("touchpoints", event_column="event_id"),
    Reference("purchases", event_column="event_id"),
    Reference("purchases", column="for_customer_id"),
    Reference("leads"),
    Reference("deals"),
    Reference("visits"),
    Reference("activities"),
    Reference("tasks"),
    Reference("tickets"),
    Reference("sample_requests"),
    Reference("sales_orders"),
    Reference("household_members", key="customer_id", one_per_customer=True),
)
IDENTITIES = REFERENCES[0]


def reference(name: str) -> Reference:
    return next(r for r in REFERENCES if r.name == name)
