import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from edge.config import StorePageSection, load_config, parse_config
from edge.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "firmware-config").glob("*.toml"))


def test_there_is_a_template_for_each_reader_kind() -> None:
    names = {path.name for path in TEMPLATES}
    assert {"nfc-usb.toml", "idcard-pcsc.toml", "pos-serial.toml", "pos-hook.toml"} <= names


def _errors(data: dict[str, Any]) -> set[str]:
    """The field paths that parse_config names, one per error line."""
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return {line.split(":")[0].strip() for line in str(info.value).splitlines()[1:]}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_is_refused_until_its_placeholders_are_replaced(path: Path) -> None:
    data = tomllib.loads(path.read_text())
    has_hook = "hook" in data.get("pos", {})
    placeholders = {"mqtt.password", "pos.hook.token"} if has_hook else {"mqtt.password"}
    assert _errors(data) == placeholders

    data["mqtt"]["password"] = secrets.token_urlsafe(32)
    if "pos.hook.token" in placeholders:
        data["pos"]["hook"]["token"] = secrets.token_urlsafe(32)
    config = parse_config(data)
    assert config.gateway.id.startswith("gw-")
    assert config.mqtt.tls_ca is not None, "templates ship with TLS on"
    assert config.warnings() == [], "templates ship with nothing unsafe allowed"


def _gateway(tmp_path: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    gateway = {"id": "gw-1", "store_id": "s", "data_dir": str(tmp_path), "tenant_key": "k" * 20}
    return {"gateway": gateway, **sections}


@pytest.mark.parametrize("host", ["mqtt.example.internal", "10.0.0.5", "0.0.0.0", "::"])
def test_a_password_in_clear_beyond_loopback_is_refused(tmp_path: Path, host: str) -> None:
    mqtt = {"host": host, "port": 1883, "username": "gw-1", "password": "p" * 40}
    with pytest.raises(ConfigError) as info:
        parse_config(_gateway(tmp_path, mqtt=mqtt))
    message = str(info.value)
    assert "mqtt.tls_ca: Value error, required: without TLS, password would cross" in message
    assert f"to {host} in clear; set tls_ca to the deployment's CA file" in message

    assert parse_config(_gateway(tmp_path, mqtt={**mqtt, "tls_ca": "/etc/ca.pem"}))
    without_password = {k: v for k, v in mqtt.items() if k != "password"}
    assert parse_config(_gateway(tmp_path, mqtt=without_password))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "localhost", "::1"])
def test_a_password_in_clear_on_loopback_is_fine(tmp_path: Path, host: str) -> None:
    mqtt = {"host": host, "username": "gw-1", "password": "p" * 40}
    assert parse_config(_gateway(tmp_path, mqtt=mqtt)).mqtt.tls_ca is None


@pytest.mark.parametrize(
    "token",
    [
        "replace-with-a-long-random-token-0123456789",  # the templates' own
        "REPLACE-ME-with-something-long-and-random",
        "changeme-changeme-changeme-changeme",
        "your-token-goes-in-this-place-0123",
    ],
)
def test_a_placeholder_hook_token_is_refused(tmp_path: Path, token: str) -> None:
    data = _gateway(tmp_path, pos={"hook": {"token": token}})
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    message = str(info.value)
    assert "pos.hook.token: Value error, token is a template's placeholder" in message
    assert "secrets.token_urlsafe(32)" in message
    data["pos"]["hook"]["token"] = secrets.token_urlsafe(32)
    assert parse_config(data).pos.hook is not None


def test_the_templates_mqtt_password_is_refused(tmp_path: Path) -> None:
    mqtt = {"password": "from-provisioning"}
    assert _errors(_gateway(tmp_path, mqtt=mqtt)) == {"mqtt.password"}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_a_plain_http_store_page_beyond_loopback_needs_tls_or_an_explicit_allow(
    tmp_path: Path, host: str
) -> None:
    page: dict[str, Any] = {"host": host, "port": 8090, "allowed_hosts": ["192.168.1.20"]}
    with pytest.raises(ConfigError) as info:
        parse_config(_gateway(tmp_path, store_page=page))
    message = str(info.value)
    assert f"store_page: Value error, host {host} serves prompts and the POS hook" in message
    assert "set store_page.tls_certfile and store_page.tls_keyfile (HTTPS)" in message
    assert "or store_page.allow_plain_http = true to accept that knowingly" in message

    allowed = parse_config(_gateway(tmp_path, store_page={**page, "allow_plain_http": True}))
    assert allowed.warnings() == [
        f"store_page: plain HTTP on {host} (allow_plain_http = true): anyone on the store "
        "LAN can read the prompts and the POS hook's token"
    ]
    tls = {"tls_certfile": "/etc/page.crt", "tls_keyfile": "/etc/page.key"}
    assert parse_config(_gateway(tmp_path, store_page={**page, **tls})).warnings() == []
    assert _errors(_gateway(tmp_path, store_page={**page, "tls_certfile": "/c"})) == {"store_page"}


def test_a_loopback_store_page_needs_no_tls(tmp_path: Path) -> None:
    config = parse_config(_gateway(tmp_path))
    assert config.store_page.host == "127.0.0.1" and config.warnings() == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_says_its_locale_zh_cn(path: Path) -> None:
    written = tomllib.loads(path.read_text())["store_page"]
    assert (written["locale"], written["time_zone"]) == ("zh-CN", "Asia/Shanghai")
    page = StorePageSection.model_validate(written)  # the rest waits for its placeholders
    assert (page.store_locale.locale, page.store_locale.time_zone) == ("zh-CN", "Asia/Shanghai")


def _minimal(tmp_path: Path, **store_page: Any) -> dict[str, Any]:
    gateway = {"id": "gw-1", "store_id": "s", "data_dir": str(tmp_path), "tenant_key": "k" * 20}
    return {"gateway": gateway, "store_page": store_page}


def test_locale_defaults_to_zh_cn_in_shanghai_and_english_is_a_choice(tmp_path: Path) -> None:
    page = parse_config(_minimal(tmp_path)).store_page
    assert (page.locale, page.time_zone) == ("zh-CN", "Asia/Shanghai")
    english = parse_config(_minimal(tmp_path, locale="en", time_zone="Europe/London")).store_page
    assert (english.store_locale.locale, english.store_locale.time_zone) == (
        "en",
        "Europe/London",
    )


def test_unknown_locale_or_zone_is_an_error_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_minimal(tmp_path, locale="fr", time_zone="Mars/Olympus"), "gw.toml")
    message = str(info.value)
    assert "store_page.locale: Input should be 'zh-CN' or 'en'" in message
    assert "store_page.time_zone: Value error, unknown time zone 'Mars/Olympus'" in message
    for spelled_otherwise in ("zh_CN", "zh", "EN"):
        with pytest.raises(ConfigError, match=r"store_page\.locale"):
            parse_config(_minimal(tmp_path, locale=spelled_otherwise))


def test_errors_name_the_field_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[gateway]\nid = "bad id!"\nstore_id = "s"\ndata_dir = "/tmp"\ntenant_key = "k"\n'
        '[[readers.nfc]]\nname = "nfc0"\n'
        "[mqtt]\nport = 70000\nbogus = 1\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    message = str(info.value)
    assert "gateway.id:" in message
    assert "readers.nfc[0].device: Field required" in message
    assert "mqtt.port:" in message
    assert "mqtt.bogus: Extra inputs are not permitted" in message


def test_missing_file_and_bad_toml_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[gateway\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_placeholder_tenant_key_is_refused(tmp_path: Path) -> None:
    config = parse_config(
        {
            "gateway": {
                "id": "gw-1",
                "store_id": "s",
                "data_dir": str(tmp_path),
                "tenant_key": "changeme",
            }
        }
    )
    with pytest.raises(ConfigError, match="tenant_key"):
        config.gateway.tenant_key_bytes()


def test_duplicate_reader_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unique: pos0"):
        parse_config(
            {
                "gateway": {
                    "id": "gw-1",
                    "store_id": "s",
                    "data_dir": str(tmp_path),
                    "tenant_key": "k" * 20,
                },
                "readers": {"nfc": [{"name": "pos0", "device": "usb"}]},
                "pos": {"serial": [{"name": "pos0", "port": "/dev/null"}]},
            }
        )


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "storepulse.cli", *args]


def _check_config(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cli("edge", "check-config", "--config", str(config)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_check_config_cli_exits_2_with_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[gateway]\nid = "gw-1"\n')
    result = _check_config(bad)
    assert result.returncode == 2
    assert "gateway.store_id: Field required" in result.stderr


def test_check_config_cli_prints_what_is_knowingly_allowed(tmp_path: Path) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(
        f'[gateway]\nid = "gw-1"\nstore_id = "s"\ndata_dir = "{tmp_path}"\n'
        'tenant_key = "a-real-tenant-key-123"\n'
        '[store_page]\nhost = "0.0.0.0"\nallow_plain_http = true\n'
    )
    result = _check_config(config)
    assert result.returncode == 0, result.stderr
    assert "warning: store_page: plain HTTP on 0.0.0.0 (allow_plain_http = true)" in result.stderr
    assert "warning: store_page: host 0.0.0.0 listens on every address but allowed_hosts is " in (
        result.stderr
    )
    assert result.stdout.strip() == f"{config}: ok (2 warning(s))"


@contextmanager
def _edge_run(config: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        _cli("edge", "run", "--config", str(config)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _health(url: str, verify: ssl.SSLContext | bool = True) -> Any:
    """The gateway's /healthz once the page answers (30 s at most)."""
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            return httpx.get(f"{url}/healthz", timeout=1, verify=verify).json()
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the store page never came up")


def _run_config(tmp_path: Path, page_port: int, store_page: str = "") -> Path:
    from tests.support.net import free_port

    config = tmp_path / "gw.toml"
    config.write_text(
        f'[gateway]\nid = "gw-cli"\nstore_id = "s1"\ndata_dir = "{tmp_path}/data"\n'
        f'tenant_key = "a-real-tenant-key-123"\n'
        f"[mqtt]\nport = {free_port()}\n"
        f"[store_page]\nport = {page_port}\n{store_page}"
    )
    return config


def test_edge_run_starts_serves_health_and_stops_on_sigterm(tmp_path: Path) -> None:
    """`storepulse edge run` with no broker reachable still serves the store page."""
    import httpx

    from tests.support.net import free_port

    page_port = free_port()
    with _edge_run(_run_config(tmp_path, page_port, 'locale = "en"\n')) as process:
        health = _health(f"http://127.0.0.1:{page_port}")
        assert health["gateway_id"] == "gw-cli"
        assert health["uplink"] == "disconnected"
        page = httpx.get(f"http://127.0.0.1:{page_port}/", timeout=5).text
        assert '<html lang="en">' in page and '"page.button.done": "Done"' in page
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    assert (tmp_path / "data" / "outbox.sqlite3").exists()


def test_edge_run_serves_the_store_page_over_https(tmp_path: Path) -> None:
    import httpx

    from tests.support.net import free_port
    from tests.support.test_ca import TestCA

    ca = TestCA.create(tmp_path / "ca")
    cert = ca.server_cert("store-page")
    page_port = free_port()
    tls = f'tls_certfile = "{cert.cert}"\ntls_keyfile = "{cert.key}"\n'
    with _edge_run(_run_config(tmp_path, page_port, tls)) as process:
        trust = ssl.create_default_context(cafile=ca.cert_path)
        health = _health(f"https://127.0.0.1:{page_port}", verify=trust)
        assert health["gateway_id"] == "gw-cli"
        with pytest.raises(httpx.HTTPError):  # no plain HTTP beside it
            httpx.get(f"http://127.0.0.1:{page_port}/healthz", timeout=2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
