"""Sample requests and orders on the customer's timeline (hub/crm/activities/timeline.py),
scoped as the rows are (field_sales/scoping.py). A sample request is one entry at its
latest step (requested, decided, handed out, followed up), an order one entry at its
latest (taken, confirmed or cancelled), with its total. Their free text stays off."""

from sqlalchemy import String, cast, func, literal, select

from hub.auth.masking import Shown
from hub.auth.scope import Scope
from hub.crm.activities.timeline import Row, label, register
from hub.crm.field_sales.scoping import rows_in_scope
from hub.db.models import Customer, SalesOrder, SampleRequest


@register("sample_request")
def sample_requests(scope: Scope, customer: Customer, shown: Shown) -> Row:
    s = SampleRequest
    at = func.coalesce(s.followed_up_at, s.handed_out_at, s.decided_at, s.requested_at)
    items = func.jsonb_array_length(s.items)
    title = func.concat("样品 samples (", s.status, "): ", items, " item(s)")
    return select(
        at.label("at"),
        label("sample_request"),
        cast(s.id, String).collate("C").label("id"),
        title.label("title"),
        literal(None, String).label("store_id"),
    ).where(s.customer_id == customer.id, rows_in_scope(scope, s))


@register("sales_order")
def sales_orders(scope: Scope, customer: Customer, shown: Shown) -> Row:
    o = SalesOrder
    at = func.coalesce(o.confirmed_at, o.cancelled_at, o.created_at)
    amount = func.to_char(o.total_fen / 100.0, "FM999999999999990.00")
    title = func.concat("订单 order (", o.status, "): ", amount, " CNY")
    return select(
        at.label("at"),
        label("sales_order"),
        cast(o.id, String).collate("C").label("id"),
        title.label("title"),
        literal(None, String).label("store_id"),
    ).where(o.customer_id == customer.id, rows_in_scope(scope, o))
