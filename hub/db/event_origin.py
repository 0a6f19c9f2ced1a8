"""Where a stored event happened, as the gateway registry says (never the payload): the
columns ingest stores beside each raw event, and what every consumer of the stream reads."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Where:
    tenant_id: str
    store_id: str
    gateway_id: str
    now: datetime  # when the hub received it
