"""What a member of staff owns, kind by kind: the tables a transfer moves. A new owned kind
(a table with an owner column) is one line here; rows tied to a customer follow the
successor of that customer, so a customer's open deals stay with whoever looks after them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class OwnedKind:
    kind: str  # what the plan and the audit entry call it
    table: str
    owner: str  # the column naming the staff id
    moves: str  # SQL condition on the row: only these move (closed deals stay, as history)
    customer: str | None  # the column naming the customer; "id" for customers themselves
    id_type: str = "text"  # SQL type of the primary key: the UPDATE matches it as such


OWNED: tuple[OwnedKind, ...] = (
    OwnedKind("customer", "customers", "owner_staff_id", "TRUE", "id"),
    OwnedKind("lead", "leads", "owner_staff_id", "TRUE", "customer_id"),
    OwnedKind("deal", "deals", "owner_staff_id", "status = 'open'", "customer_id"),
    # Open tasks and open tickets follow their customer's successor; done ones stay.
    OwnedKind("task", "tasks", "owner_staff_id", "status = 'open'", "customer_id"),
    OwnedKind(
        "ticket", "tickets", "assignee_staff_id", "state IN ('intake', 'assigned')", "customer_id"
    ),
    # Field sales: an open sample request (its hand-out or follow-up still to do) and an
    # order still an intent follow the customer; decided, closed and confirmed ones stay.
    OwnedKind(
        "sample_request",
        "sample_requests",
        "rep_staff_id",
        "status IN ('requested', 'approved', 'handed_out')",
        "customer_id",
    ),
    OwnedKind("sales_order", "sales_orders", "rep_staff_id", "status = 'intent'", "customer_id"),
)
