"""The timeline's sources (hub/crm/activities/timeline.py): the store touchpoints and
purchases the gateways sent, and the visits, calls, notes, tasks and tickets of this
package. Touchpoints and purchases follow the customer scope's row rule (a store role
sees its stores' rows, hub/crm/customer_scope.py); the rest follow their customer. Free
text (a note, a call's summary, a task's or ticket's title) may say something of health:
roles not shown health data see only what kind of entry it is."""

from typing import Any

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.sql.elements import ColumnElement, Label

from hub.auth.masking import Shown
from hub.auth.scope import Scope
from hub.crm.activities.timeline import Row, label, register
from hub.crm.customer_scope import rows_in_scope
from hub.db.models import Activity, Customer, Purchase, Task, Ticket, Touchpoint, Visit


def _id(column: Any) -> ColumnElement[str]:
    return cast(column, String).collate("C").label("id")


def _text(shown: Shown, free: Any, kind: Any) -> Any:
    """The row's own words for roles shown health data, else what kind of entry it is."""
    if shown.health_tags:
        return free
    return literal(kind, String) if isinstance(kind, str) else kind


def _no_store() -> Label[str]:
    return literal(None, String).label("store_id")


@register("touchpoint")
def touchpoints(scope: Scope, customer: Customer, shown: Shown) -> Row:
    title = func.concat(Touchpoint.kind, " via ", Touchpoint.channel)
    return select(
        Touchpoint.at.label("at"),
        label("touchpoint"),
        _id(Touchpoint.id),
        title.label("title"),
        Touchpoint.store_id.label("store_id"),
    ).where(
        Touchpoint.customer_id == customer.id,
        rows_in_scope(scope, customer, Touchpoint.store_id),
    )


@register("purchase")
def purchases(scope: Scope, customer: Customer, shown: Shown) -> Row:
    amount = func.to_char(Purchase.total / 100.0, "FM999999999999990.00")
    title = func.concat("receipt ", Purchase.receipt_no, ": ", amount, " ", Purchase.currency)
    return select(
        Purchase.at.label("at"),
        label("purchase"),
        _id(Purchase.id),
        title.label("title"),
        Purchase.store_id.label("store_id"),
    ).where(Purchase.customer_id == customer.id, rows_in_scope(scope, customer, Purchase.store_id))


@register("visit")
def visits(scope: Scope, customer: Customer, shown: Shown) -> Row:
    title = case(
        (Visit.checked_in_at.is_(None), literal("visit planned", String)),
        (Visit.far, func.concat("visit checked in, far: ", func.round(Visit.distance_m), " m")),
        else_=literal("visit checked in", String),
    )
    return select(
        func.coalesce(Visit.checked_in_at, Visit.planned_at).label("at"),
        label("visit"),
        _id(Visit.id),
        title.label("title"),
        Visit.store_id.label("store_id"),
    ).where(Visit.customer_id == customer.id)


def _activities(kind: str, shown: Shown, customer: Customer) -> Row:
    return select(
        Activity.at.label("at"),
        label(kind),
        _id(Activity.id),
        _text(shown, func.concat(kind, ": ", Activity.body), kind).label("title"),
        _no_store(),
    ).where(Activity.customer_id == customer.id, Activity.kind == kind)


@register("call")
def calls(scope: Scope, customer: Customer, shown: Shown) -> Row:
    return _activities("call", shown, customer)


@register("note")
def notes(scope: Scope, customer: Customer, shown: Shown) -> Row:
    return _activities("note", shown, customer)


@register("task")
def tasks(scope: Scope, customer: Customer, shown: Shown) -> Row:
    words = func.concat("task (", Task.status, "): ", Task.title)
    return select(
        Task.created_at.label("at"),
        label("task"),
        _id(Task.id),
        _text(shown, words, "task").label("title"),
        _no_store(),
    ).where(Task.customer_id == customer.id)


@register("ticket")
def tickets(scope: Scope, customer: Customer, shown: Shown) -> Row:
    words = func.concat("ticket (", Ticket.state, "): ", Ticket.title)
    return select(
        Ticket.opened_at.label("at"),
        label("ticket"),
        _id(Ticket.id),
        _text(shown, words, func.concat("ticket (", Ticket.state, ")")).label("title"),
        Ticket.store_id.label("store_id"),
    ).where(Ticket.customer_id == customer.id)
