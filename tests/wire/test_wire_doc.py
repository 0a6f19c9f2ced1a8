"""docs/wire.md is enough to write a gateway: its examples decode, its tables are the models'."""

import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from wire import reference
from wire.codec import (
    decode_ack,
    decode_batch,
    decode_cache_delta,
    decode_command,
    decode_status,
)
from wire.messages import Ack, CacheDelta, EventBatch, GatewayStatus

DOC = Path(__file__).parents[2] / "docs" / "wire.md"
_BLOCK = re.compile(r"^```json\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _json_blocks() -> list[str]:
    return _BLOCK.findall(DOC.read_text(encoding="utf-8"))


def _decode(block: str) -> object:
    """Decode an example as the side that receives it would, chosen by its shape."""
    payload = block.encode()
    keys = set(json.loads(block))
    if "events" in keys:
        return decode_batch(payload)
    if "committed" in keys or "dead_lettered" in keys:
        return decode_ack(payload)
    if "state" in keys:
        return decode_status(payload)
    if "base_version" in keys:
        return decode_cache_delta(payload)
    if "command" in keys:
        return decode_command(payload)
    raise AssertionError(f"an example of no known message: {sorted(keys)}")


@pytest.mark.parametrize("index", range(len(_json_blocks())))
def test_every_json_example_decodes(index: int) -> None:
    message = _decode(_json_blocks()[index])
    assert isinstance(message, BaseModel)


def test_the_doc_shows_every_message_a_gateway_meets() -> None:
    messages = [_decode(block) for block in _json_blocks()]
    kinds = {type(m).__name__ for m in messages}
    assert {"EventBatch", "Ack", "GatewayStatus", "CacheDelta"} <= kinds
    assert {"ResyncCache", "RequestStatus", "ShowPrompt"} <= kinds
    assert any(isinstance(m, Ack) and m.dead_lettered for m in messages)
    states = {m.state for m in messages if isinstance(m, GatewayStatus)}
    assert states == {"online", "offline"}  # the offline one is the Last Will
    assert any(isinstance(m, CacheDelta) and m.upserts for m in messages)
    assert any(isinstance(m, EventBatch) and len(m.events) > 1 for m in messages)


def test_field_tables_are_rendered_from_the_models() -> None:
    assert reference.main([str(DOC), "--check"]) == 0, "run: python -m wire.reference docs/wire.md"


def test_a_stale_table_is_caught(tmp_path: Path) -> None:
    stale = DOC.read_text(encoding="utf-8").replace(
        "| `seq` | integer | yes | ≥ 1,", "| `seq` | integer | yes | ≥ 0,"
    )
    assert stale != DOC.read_text(encoding="utf-8")
    copy = tmp_path / "wire.md"
    copy.write_text(stale, encoding="utf-8")
    assert reference.main([str(copy), "--check"]) == 1
    reference.main([str(copy)])
    assert copy.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")


def test_every_model_field_has_a_row() -> None:
    generated = reference.render()
    for model in (EventBatch, Ack, GatewayStatus, CacheDelta):
        assert f"#### {model.__name__}\n" in generated
        for field in model.model_fields:
            assert f"| `{field}` |" in generated, f"{model.__name__}.{field}"
