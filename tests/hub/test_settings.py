"""Hub settings: env over TOML, placeholder secrets refused with the field named."""

from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.settings import load_settings

KEY = "a-real-tenant-key-0123"


def test_toml_file_with_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(f'tenant_key = "{KEY}"\napi_port = 9090\nmqtt_shared_group = "hub"\n')
    monkeypatch.setenv("STOREPULSE_HUB_API_PORT", "9191")
    settings = load_settings(path)
    assert settings.api_port == 9191
    assert settings.tenant_key.get_secret_value() == KEY
    assert settings.database_url is None  # the embedded PostgreSQL, in data_dir
    assert settings.data_dir == Path("var/hub")
    assert settings.api_host == "127.0.0.1"


@pytest.mark.parametrize("key", ["changeme", "short"])
def test_placeholder_or_short_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("STOREPULSE_HUB_TENANT_KEY", key)
    with pytest.raises(ConfigError, match="tenant_key"):
        load_settings(None)


def test_missing_file_and_unknown_field_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "absent.toml")
    path = tmp_path / "hub.toml"
    path.write_text(f'tenant_key = "{KEY}"\napi_prot = 1\n')
    with pytest.raises(ConfigError, match="api_prot"):
        load_settings(path)
