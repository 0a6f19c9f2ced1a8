import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from edge.config import load_config, parse_config
from edge.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "firmware-config").glob("*.toml"))


def test_there_is_a_template_for_each_reader_kind() -> None:
    names = {path.name for path in TEMPLATES}
    assert {"nfc-usb.toml", "idcard-pcsc.toml", "pos-serial.toml", "pos-hook.toml"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_validates(path: Path) -> None:
    config = load_config(path)
    assert config.gateway.id.startswith("gw-")
    assert config.mqtt.tls_ca is not None, "templates ship with TLS on"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_says_its_locale_zh_cn(path: Path) -> None:
    written = tomllib.loads(path.read_text())["store_page"]
    assert (written["locale"], written["time_zone"]) == ("zh-CN", "Asia/Shanghai")
    page = load_config(path).store_page
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


def test_check_config_cli_exits_2_with_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[gateway]\nid = "gw-1"\n')
    result = subprocess.run(
        _cli("edge", "check-config", "--config", str(bad)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "gateway.store_id: Field required" in result.stderr


def test_edge_run_starts_serves_health_and_stops_on_sigterm(tmp_path: Path) -> None:
    """`storepulse edge run` with no broker reachable still serves the store page."""
    import httpx

    from tests.support.net import free_port

    page_port, broker_port = free_port(), free_port()
    config = tmp_path / "gw.toml"
    config.write_text(
        f'[gateway]\nid = "gw-cli"\nstore_id = "s1"\ndata_dir = "{tmp_path}/data"\n'
        f'tenant_key = "a-real-tenant-key-123"\n'
        f"[mqtt]\nport = {broker_port}\n"
        f'[store_page]\nport = {page_port}\nlocale = "en"\n'
    )
    process = subprocess.Popen(
        _cli("edge", "run", "--config", str(config)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{page_port}/healthz", timeout=1).json()
            except httpx.HTTPError:
                time.sleep(0.1)
        assert health is not None, "the store page never came up"
        assert health["gateway_id"] == "gw-cli"
        assert health["uplink"] == "disconnected"
        page = httpx.get(f"http://127.0.0.1:{page_port}/", timeout=5).text
        assert '<html lang="en">' in page and '"page.button.done": "Done"' in page
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (tmp_path / "data" / "outbox.sqlite3").exists()
