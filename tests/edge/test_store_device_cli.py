"""`storepulse edge pair-device`, `edge devices list|revoke` and `edge hash-pin` against a
running `storepulse edge run` over HTTPS: the CLI and the gateway share the device file,
so a code made by the CLI pairs on the running page and a revocation is refused at the
next request; with TLS the cookie is Secure and `__Host-`."""

import re
import signal
import ssl
import subprocess
from pathlib import Path

import httpx

from edge.store_device.access import CSRF_HEADER, TLS_COOKIE
from tests.edge.test_config import ROOT, _cli, _edge_run, _health, _run_config
from tests.support.net import free_port
from tests.support.test_ca import TestCA


def _storepulse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cli(*args), capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )


def test_cli_pairs_lists_and_revokes_a_device_on_a_running_https_gateway(tmp_path: Path) -> None:
    hashed = _storepulse("edge", "hash-pin", "--pin", "4321")
    assert hashed.returncode == 0, hashed.stderr
    pin_line = hashed.stdout.strip()
    assert re.fullmatch(r'pin_hash = "scrypt\$16384\$8\$1\$[^"]+"', pin_line)
    ca = TestCA.create(tmp_path / "ca")
    cert = ca.server_cert("store-page")
    port = free_port()
    page = (
        f'tls_certfile = "{cert.cert}"\ntls_keyfile = "{cert.key}"\n'
        'allowed_hosts = ["store-pc.local"]\n'
        f'[[store_page.clerks]]\nstaff_id = "S07"\nname = "张敏"\n{pin_line}\n'
    )
    config = _run_config(tmp_path, port, page)
    trust = ssl.create_default_context(cafile=ca.cert_path)
    url = f"https://127.0.0.1:{port}"
    with _edge_run(config) as process:
        _health(url, verify=trust)
        made = _storepulse("edge", "pair-device", "-c", str(config), "--name", "收银台 2")
        assert made.returncode == 0, made.stderr
        found = re.search(r"pairing code: (\d{4} \d{4})", made.stdout)
        assert found, made.stdout
        with httpx.Client(base_url=url, verify=trust, timeout=5) as device:
            paired = device.post("/device/pair", json={"code": found.group(1)})
            assert paired.status_code == 200, paired.text
            set_cookie = paired.headers["set-cookie"]
            assert set_cookie.startswith(f"{TLS_COOKIE}=")
            for attribute in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
                assert attribute in set_cookie
            assert "Domain" not in set_cookie
            device.headers[CSRF_HEADER] = paired.json()["csrf_token"]
            device_id = paired.json()["device_id"]
            assert device.get("/prompts/recent").json() == []
            signed = device.post("/device/clerk", json={"staff_id": "S07", "pin": "4321"})
            assert signed.json() == {"staff_id": "S07", "name": "张敏"}

            listed = _storepulse("edge", "devices", "list", "-c", str(config))
            assert listed.returncode == 0, listed.stderr
            [row] = [line for line in listed.stdout.splitlines() if device_id in line]
            assert "收银台 2" in row and "S07" in row and row.endswith("active")

            revoked = _storepulse("edge", "devices", "revoke", device_id, "-c", str(config))
            assert revoked.returncode == 0 and f"device {device_id} revoked" in revoked.stdout
            assert device.get("/prompts/recent").status_code == 401
            again = _storepulse("edge", "devices", "revoke", device_id, "-c", str(config))
            assert again.returncode == 2 and f"no active device {device_id}" in again.stderr
            reused = device.post("/device/pair", json={"code": found.group(1)})
            assert reused.status_code == 400, "the CLI's code was used once"
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    assert (tmp_path / "data" / "devices.sqlite3").stat().st_mode & 0o777 == 0o600


def test_hash_pin_refuses_what_is_not_a_pin() -> None:
    refused = _storepulse("edge", "hash-pin", "--pin", "12a")
    assert refused.returncode == 2 and "a PIN is 4 to 12 digits" in refused.stderr
