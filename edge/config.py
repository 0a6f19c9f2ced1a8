"""The gateway's one config object, read from one TOML file per gateway.

Validation errors name the field as a TOML path (`readers.nfc[0].device: field required`).
Secrets (tenant key, MQTT password, POS hook token) may be given inline or, better, as
`*_file` paths readable only by the gateway's user.
"""

import tomllib
from pathlib import Path
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from edge.catalogue import DEFAULT_LOCALE, Locale
from edge.config_safety import is_loopback_host, is_placeholder
from edge.counter_services import CounterService, counter_services
from edge.errors import ConfigError
from edge.pos.hook import PosHookConfig
from edge.pos.profile import PosProfile
from edge.pos.serial_link import SerialPosConfig
from edge.readers.nfc import NfcReaderConfig
from edge.readers.smartcard import SmartCardReaderConfig
from edge.store_device.clerks import ClerkConfig
from edge.store_device.db import DEVICES_FILE
from edge.store_device.guard import WILDCARDS, allowed_host_names
from edge.store_locale import DEFAULT_TIME_ZONE, StoreLocale, zone_named
from edge.uplink import UplinkConfig
from wire.topics import GATEWAY_ID_PATTERN


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GatewaySection(_Section):
    id: str = Field(pattern=GATEWAY_ID_PATTERN, description="also the MQTT username")
    store_id: str = Field(min_length=1)
    data_dir: Path = Field(description="outbox and cache live here")
    tenant_key: SecretStr | None = Field(default=None, description="HMAC key for ID hashes")
    tenant_key_file: Path | None = None

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        if (self.tenant_key is None) == (self.tenant_key_file is None):
            raise ValueError("give exactly one of tenant_key and tenant_key_file")
        return self

    def tenant_key_bytes(self) -> bytes:
        if self.tenant_key_file is not None:
            try:
                raw = self.tenant_key_file.read_text().strip()
            except OSError as exc:
                raise ConfigError(f"gateway.tenant_key_file: {exc}") from exc
        else:
            assert self.tenant_key is not None
            raw = self.tenant_key.get_secret_value()
        if is_placeholder(raw) or len(raw) < 16:
            raise ConfigError("gateway.tenant_key: a real key of at least 16 characters is needed")
        return raw.encode()


class OutboxSection(_Section):
    max_bytes: int = Field(default=256 * 1024 * 1024, ge=1024 * 1024)
    low_priority_ratio: float = Field(default=0.9, gt=0, le=1)
    dedupe_window_s: float = Field(
        default=7 * 24 * 3600, ge=60, description="how long a POS receipt number stays known"
    )
    service_dedupe_window_s: float = Field(
        default=60, ge=0, description="how long an identical POS service note is a re-send"
    )


class CacheSection(_Section):
    max_customers: int = Field(default=200_000, ge=100)
    snapshot_stall_s: float = Field(
        default=30.0,
        gt=0,
        description="a snapshot that gets no part for this long is dropped and asked for "
        "again (each further time after twice as long, up to 300 s)",
    )


class StorePageSection(_Section):
    host: str = Field(default="127.0.0.1", description="bind address; the store LAN address")
    port: int = Field(default=8090, ge=0, le=65535, description="0 picks a free port")
    tls_certfile: Path | None = Field(default=None, description="PEM certificate: serve HTTPS")
    tls_keyfile: Path | None = Field(default=None, description="its PEM private key")
    allow_plain_http: bool = Field(
        default=False, description="serve plain HTTP beyond loopback, knowingly (a warning)"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="names and addresses devices open the page by (Host header check), "
        "besides the bind address, localhost and 127.0.0.1",
    )
    clerks: list[ClerkConfig] = Field(
        default_factory=list, description="who may sign in on a paired device, by PIN"
    )
    clerk_session_hours: float = Field(
        default=12.0, gt=0, le=24 * 7, description="how long a clerk's sign-in lasts"
    )
    services: list[CounterService] = Field(
        default_factory=list,
        max_length=20,
        description="services clerks tick at the counter besides the four defaults "
        "(medication_advice, family_purchase, insurance_help, blood_pressure)",
    )

    @property
    def allowed_host_names(self) -> frozenset[str]:
        return allowed_host_names(self.host, self.allowed_hosts)

    @property
    def tls(self) -> tuple[Path, Path] | None:
        if self.tls_certfile is None or self.tls_keyfile is None:
            return None
        return self.tls_certfile, self.tls_keyfile

    @property
    def plain_beyond_loopback(self) -> bool:
        return self.tls is None and not is_loopback_host(self.host)

    @model_validator(mode="after")
    def _no_plain_http_on_the_lan_by_accident(self) -> Self:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("give both tls_certfile and tls_keyfile, or neither")
        if self.plain_beyond_loopback and not self.allow_plain_http:
            raise ValueError(
                f"host {self.host} serves prompts and the POS hook's token in plain HTTP "
                "to the store LAN: set store_page.tls_certfile and store_page.tls_keyfile "
                "(HTTPS), or store_page.allow_plain_http = true to accept that knowingly"
            )
        return self

    @model_validator(mode="after")
    def _unique_clerks(self) -> Self:
        ids = [clerk.staff_id for clerk in self.clerks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"clerk staff ids must be unique: {', '.join(duplicates)}")
        types = [service.type for service in self.services]
        twice = sorted({t for t in types if types.count(t) > 1})
        if twice:
            raise ValueError(f"store_page.services: each type once: {', '.join(twice)}")
        return self

    @property
    def counter_services(self) -> tuple[CounterService, ...]:
        return counter_services(self.services)

    def warnings(self) -> list[str]:
        found = []
        if self.plain_beyond_loopback:
            found.append(
                f"store_page: plain HTTP on {self.host} (allow_plain_http = true): anyone on "
                "the store LAN can read the prompts and the POS hook's token"
            )
        if self.host.strip("[]") in WILDCARDS and not self.allowed_hosts:
            found.append(
                f"store_page: host {self.host} listens on every address but allowed_hosts is "
                "empty: devices on the LAN get 421 until their address or name is listed"
            )
        return found

    locale: Locale = Field(
        default=DEFAULT_LOCALE, description="what prompts and the page say: 'zh-CN' or 'en'"
    )
    time_zone: str = Field(
        default=DEFAULT_TIME_ZONE, description="IANA zone the page shows times in"
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone_named(name)
        return name

    @property
    def store_locale(self) -> StoreLocale:
        return StoreLocale(self.locale, self.time_zone)


class ReadersSection(_Section):
    nfc: list[NfcReaderConfig] = Field(default_factory=list)
    smartcard: list[SmartCardReaderConfig] = Field(default_factory=list)


class PosSection(_Section):
    serial: list[SerialPosConfig] = Field(default_factory=list)
    hook: PosHookConfig | None = None
    profiles: list[PosProfile] = Field(default_factory=list, description="extra POS profiles")


class GatewayConfig(_Section):
    gateway: GatewaySection
    mqtt: UplinkConfig = Field(default_factory=UplinkConfig)
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    cache: CacheSection = Field(default_factory=CacheSection)
    store_page: StorePageSection = Field(default_factory=StorePageSection)
    readers: ReadersSection = Field(default_factory=ReadersSection)
    pos: PosSection = Field(default_factory=PosSection)

    @model_validator(mode="after")
    def _unique_reader_names(self) -> Self:
        names = [r.name for r in self.readers.nfc + self.readers.smartcard]
        names += [p.name for p in self.pos.serial]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"reader names must be unique: {', '.join(duplicates)}")
        return self

    def warnings(self) -> list[str]:
        """What this config knowingly allows that is unsafe (each names its field)."""
        return self.store_page.warnings()

    @property
    def outbox_path(self) -> Path:
        return self.gateway.data_dir / "outbox.sqlite3"

    @property
    def cache_path(self) -> Path:
        return self.gateway.data_dir / "cache.sqlite3"

    @property
    def devices_path(self) -> Path:
        """Paired devices and pairing codes (edge/store_device/db.py)."""
        return self.gateway.data_dir / DEVICES_FILE


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(file)"


def parse_config(data: dict[str, Any], source: str = "config") -> GatewayConfig:
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: invalid gateway config"]
        for error in exc.errors():
            lines.append(f"  {_field_path(error['loc'])}: {error['msg']}")
        raise ConfigError("\n".join(lines)) from exc


def load_config(path: Path) -> GatewayConfig:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(data, str(path))
