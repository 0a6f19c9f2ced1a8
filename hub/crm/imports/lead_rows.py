"""One row of a leads file, captured as every channel's leads are (hub/crm/leads/capture.py)
with source "import" and, as source id, the row's own id column or a digest of its
normalised content: importing the same file again, or the same lead twice, makes one."""

from hub.crm.identities import Key
from hub.crm.identity_keys import email_key, phone_key
from hub.crm.imports.context import Batch, FileRow, RowFailed
from hub.crm.imports.rows import LeadRow, parse_row
from hub.crm.leads.capture import NewLead, capture

SOURCE = "import"


def import_lead(batch: Batch, row: FileRow) -> tuple[str, bool]:
    """(the lead's id, whether the row made it)."""
    parsed, problems = parse_row(LeadRow, row.cells)
    store_id, why = batch.stores.resolve(row.cells.get("store") or None)
    if why is not None:
        problems.append(("store", why))
    if parsed is None or problems:
        raise RowFailed(problems)
    keys: list[Key] = [phone_key(batch.keys.tenant_key, parsed.phone)] if parsed.phone else []
    keys += [email_key(parsed.email)] if parsed.email else []
    new = NewLead(
        source=SOURCE,
        source_id=parsed.source_id(),
        captured_at=batch.now,
        keys=keys,
        name=parsed.name or "",
        note=parsed.note,
        store_id=store_id,
    )
    with batch.session.begin_nested():
        captured = capture(batch.session, batch.scope, new, batch.keys.weights, batch.now)
    return captured.lead.id, captured.created
