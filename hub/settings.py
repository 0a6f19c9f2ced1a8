"""The hub's one settings object: environment (`STOREPULSE_HUB_*`) over an optional TOML file."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hub.auth.signing_key import check_signing_key
from hub.crm.duplicates.rules import DuplicateSettings
from hub.crm.leads.config import LeadSettings
from hub.errors import ConfigError
from wire.message_size import (
    CEILING_MAX_MESSAGE_BYTES,
    DEFAULT_MAX_MESSAGE_BYTES,
    MIN_MAX_MESSAGE_BYTES,
)

PLACEHOLDER_SECRETS = frozenset({"changeme", "changethis", "secret"})


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOREPULSE_HUB_", extra="forbid")

    database_url: str | None = Field(
        default=None,
        description="postgresql+psycopg://…; unset: the hub starts an embedded PostgreSQL "
        "in data_dir (hub/db/embedded.py)",
    )
    data_dir: Path = Field(
        default=Path("var/hub"), description="the embedded PostgreSQL's home when no URL is set"
    )
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_tls_ca: Path | None = None
    mqtt_protocol: Literal["5", "3.1.1"] = Field(
        default="5", description="3.1.1 for brokers without MQTT 5 (amqtt): no shared subscription"
    )
    mqtt_shared_group: str | None = Field(default="hub", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    mqtt_max_message_bytes: int = Field(
        default=DEFAULT_MAX_MESSAGE_BYTES,
        ge=MIN_MAX_MESSAGE_BYTES,
        le=CEILING_MAX_MESSAGE_BYTES,
        description="largest MQTT payload the hub publishes; the broker's max_message_bytes "
        "(a lower limit in the broker's CONNACK wins)",
    )
    cache_snapshot_interval_seconds: float = Field(
        default=30.0,
        ge=0,
        description="at most one cache snapshot per gateway per this many seconds; "
        "requests in between wait and are answered once",
    )
    cache_snapshot_max_customers: int = Field(
        default=200_000, ge=1, description="a snapshot holds the store's newest this many"
    )
    ingest_workers: int = Field(default=2, ge=1, le=32, description="threads per process")
    ingest_processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="processes taking event batches (one per core); more than one needs "
        "PostgreSQL and an MQTT 5 shared subscription",
    )
    projection_max_events: int = Field(
        default=5000, ge=1, le=100_000, description="events per CRM projection transaction"
    )
    projection_busy_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="share of time the CRM projection may take while ingest has a backlog",
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535, description="0 picks a free port")
    api_keep_alive_seconds: int = Field(
        default=5, ge=1, le=300, description="an idle keep-alive connection is closed after this"
    )
    api_header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="a request's line and headers must arrive within this, from its first "
        "byte (or the connection's opening); otherwise the connection is closed",
    )
    api_body_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        le=300,
        description="a request body that sends nothing for this long is cut off",
    )
    api_max_concurrency: int = Field(
        default=200,
        ge=1,
        le=100_000,
        description="open connections (idle keep-alive ones too) or requests in progress "
        "beyond which the API answers 503",
    )
    auth_secret: SecretStr | None = Field(
        default=None,
        description="HS256 key for access tokens, 32+ random characters; unset: one is "
        "made in data_dir (set it when several hubs share a database)",
    )
    auth_access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    auth_refresh_token_days: float = Field(
        default=14, gt=0, le=365, description="a refresh token unused this long expires"
    )
    auth_session_max_days: float = Field(
        default=30, gt=0, le=365, description="a login's refreshes end this long after it"
    )
    auth_login_max_failures: int = Field(
        default=5, ge=1, le=1000, description="failed logins of one name before it is locked"
    )
    auth_login_lock_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="the lock, and the window failures count in"
    )
    tenant_key: SecretStr = Field(description="HMAC key for identifier hashes; 16+ chars")
    clock_skew_seconds: int = Field(default=120, ge=1)
    gateway_offline_after_seconds: int = Field(default=180, ge=1)
    dead_letter_bytes_per_gateway_day: int = Field(
        default=8 * 1024 * 1024,
        ge=128 * 1024,
        description="dead letters one gateway may add per UTC day; past it they are counted "
        "and dropped (GET /stores/{id}/gateways shows both)",
    )
    dead_letter_retention_days: int = Field(
        default=30, ge=1, le=3650, description="dead letters older than this are deleted"
    )

    leads: LeadSettings = Field(
        default_factory=LeadSettings,
        description="[leads]: keyword rules, score weights, the WeCom callback",
    )
    duplicates: DuplicateSettings = Field(
        default_factory=DuplicateSettings,
        description="[duplicates]: the rules that find likely duplicate customers",
    )

    @field_validator("tenant_key")
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("is a placeholder; set a real key")
        if len(secret) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("auth_secret")
    @classmethod
    def _refuse_weak_auth_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_signing_key(value.get_secret_value())  # BadSigningKey is a ValueError
        return value

    def require_database_url(self) -> str:
        """The URL to connect to; HubRuntime.start() sets it when the server is embedded."""
        if self.database_url is None:
            raise ConfigError("database_url: unset, and the embedded server is not started")
        return self.database_url

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the file, so a deployment can override one field.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(path: Path | None = None) -> HubSettings:
    """Build the settings; raise ConfigError naming every bad field."""
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: no such file")

    class _FromFile(HubSettings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        return _FromFile() if path is not None else HubSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"hub settings: {problems}") from exc
    except (OSError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(f"{path}: {exc}") from exc
