"""Which POS records are the same record sent again, so the outbox stores them once.

A POS that gets no ACK or 202 (the gateway died after storing the record, or the answer
was lost on the wire) re-sends the record. A checkout is identified by its till and
receipt number, kept for the outbox's window (7 days by default). A service note has no
number of its own, so the key is a digest of its content and counts only for a short
window (60 s by default): long enough for a POS's retries, short enough that two real
identical notes minutes apart stay two.
"""

import hashlib

from edge.outbox_keys import KeyedAppend
from wire.events import EventBody, PosCheckout, PosServiceLogged


def retransmission_key(body: EventBody, service_window_s: float) -> KeyedAppend | None:
    """The dedupe key of a POS record, or None for events that are never re-sent."""
    if isinstance(body, PosCheckout):
        return KeyedAppend(f"pos:{body.terminal or '-'}:{body.receipt_no}")
    if isinstance(body, PosServiceLogged):
        digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:32]
        return KeyedAppend(f"pos-service:{digest}", service_window_s)
    return None
