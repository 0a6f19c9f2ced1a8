from pathlib import Path

import pytest

from hub.settings import load_settings

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "hub.example.toml"


def test_the_shipped_hub_template_loads_with_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOREPULSE_HUB_TENANT_KEY", "a-tenant-key-from-the-env")
    settings = load_settings(TEMPLATE)
    assert settings.mqtt_shared_group == "hub"
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.tenant_key.get_secret_value() == "a-tenant-key-from-the-env"
    assert settings.dead_letter_bytes_per_gateway_day == 8 * 1024 * 1024
    assert settings.dead_letter_retention_days == 30
