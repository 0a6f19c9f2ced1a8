"""A prompt the hub pushes (`prompt.show` on the gateway's cmd topic) is shown like a
composed one: the hub's own words, and the time on the store's clock."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.config import parse_config
from edge.gateway import Gateway
from wire.messages import ShowPrompt


@pytest.mark.parametrize(("zone", "offset_hours"), [("Asia/Shanghai", 8), ("UTC", 0)])
def test_a_hub_prompt_is_shown_in_the_store_time_zone(
    tmp_path: Path, zone: str, offset_hours: int
) -> None:
    config = parse_config(
        {
            "gateway": {
                "id": "gw-1",
                "store_id": "s1",
                "data_dir": str(tmp_path),
                "tenant_key": "a-real-tenant-key-123",
            },
            "store_page": {"locale": "en", "time_zone": zone},
        }
    )
    gateway = Gateway(config)  # no I/O until start(); the command only touches the bus
    gateway._on_command(ShowPrompt(title="回访提醒", text="王* 血压复查", customer_id="c1"))
    [(prompt, state)] = gateway.bus.recent()
    assert (prompt.title, prompt.display_name, state) == ("回访提醒", "王* 血压复查", "open")
    shown = datetime.strptime(prompt.created_at_local, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    utc = prompt.created_at.replace(second=0, microsecond=0)
    assert (shown - utc).total_seconds() == offset_hours * 3600
