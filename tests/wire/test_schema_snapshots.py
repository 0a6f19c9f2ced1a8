"""The JSON Schema of every wire model is snapshotted: an incompatible change shows in review.

Regenerate with STOREPULSE_UPDATE_SNAPSHOTS=1 after a deliberate change.
"""

import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel, TypeAdapter

from wire.codec import CommandAdapter
from wire.events import EventAdapter
from wire.messages import Ack, CacheDelta, EventBatch, GatewayStatus

SNAPSHOTS = Path(__file__).parent / "snapshots"
MODELS: dict[str, type[BaseModel] | TypeAdapter[object]] = {
    "event": EventAdapter,  # type: ignore[dict-item]
    "event_batch": EventBatch,
    "ack": Ack,
    "gateway_status": GatewayStatus,
    "cache_delta": CacheDelta,
    "command": CommandAdapter,  # type: ignore[dict-item]
}


def _schema(model: type[BaseModel] | TypeAdapter[object]) -> dict[str, object]:
    if isinstance(model, TypeAdapter):
        return model.json_schema()
    return model.model_json_schema()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_schema_matches_snapshot(name: str) -> None:
    path = SNAPSHOTS / f"{name}.schema.json"
    current = json.dumps(_schema(MODELS[name]), indent=2, sort_keys=True) + "\n"
    if os.environ.get("STOREPULSE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(current)
    assert path.exists(), f"no snapshot for {name}; run with STOREPULSE_UPDATE_SNAPSHOTS=1"
    assert current == path.read_text(), f"wire schema of {name} changed; review and regenerate"
