"""The staff record each row's till staff_id names, for a whole batch with one statement.
A code nobody has is kept as sent and flagged (staff_unknown), never dropped; creating
that staff member later resolves it (hub/crm/org/staff_refs.py)."""

from sqlalchemy.orm import Session

from hub.crm.org.staff_refs import ids_of_codes
from hub.projection.crm_rows import CrmRows


def link_staff(session: Session, tenant_id: str, rows: list[CrmRows]) -> int:
    """Set staff_ref and staff_unknown on every touchpoint and purchase of `rows` (all of
    `tenant_id`); returns how many of the rows' events named an unknown code."""
    ids = ids_of_codes(session, tenant_id, (c for r in rows for c in r.staff_codes()))
    unknown = 0
    for row in rows:
        flagged = False
        for written in row.staff_rows():
            code = written["staff_id"]
            written["staff_ref"] = ids.get(code) if code is not None else None
            written["staff_unknown"] = code is not None and written["staff_ref"] is None
            flagged = flagged or written["staff_unknown"]
        unknown += flagged
    return unknown
