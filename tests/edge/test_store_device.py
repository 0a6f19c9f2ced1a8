"""Issue 13 item 8 at the HTTP level: the store page serves paired devices only.

A real uvicorn server and its real device file (SQLite); httpx plays both the paired
tablet and the stranger on the store LAN."""

import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edge.store_device.access import COOKIE, CSRF_HEADER
from edge.store_device.pairing import FAILURE_LIMIT, LIVE_CODE_LIMIT, PairingRefused, new_code
from edge.store_device.registry import token_hash
from tests.edge.store_page_support import (
    CLERK_PIN,
    Served,
    clerk,
    make_prompt,
    serve_page,
    sse_events,
    wait_until,
)

NAME = "Wang *"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve_page(tmp_path, recheck_s=0.2) as running:
        running.bus.publish(make_prompt(NAME))
        yield running


def test_an_unpaired_browser_gets_the_pairing_form_and_401_with_nothing_in_it(
    served: Served,
) -> None:
    page = httpx.get(f"{served.url}/")
    assert page.status_code == 200 and 'data-testid="pair-form"' in page.text
    assert NAME not in page.text and "store.js" not in page.text and "csrf" not in page.text
    prompt_id = served.bus.recent()[0][0].prompt_id
    refused = [
        httpx.get(f"{served.url}/prompts/recent"),
        httpx.get(f"{served.url}/prompts/stream"),
        httpx.get(f"{served.url}/device/me"),
        httpx.post(f"{served.url}/prompts/{prompt_id}/acted", json={"action": "done"}),
        httpx.get(f"{served.url}/prompts/recent", cookies={COOKIE: "not-a-device-token"}),
    ]
    for response in refused:
        assert response.status_code == 401, response.request.url
        assert response.json() == {"detail": "pair this device first"}
    assert served.acted.calls == []
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_pairing_sets_a_strict_httponly_cookie_and_keeps_only_its_hash(served: Served) -> None:
    response = httpx.post(f"{served.url}/device/pair", json={"code": served.code("柜台")})
    assert response.status_code == 200
    body = response.json()
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Path=/" in set_cookie
    assert "Secure" not in set_cookie  # plain HTTP here; with TLS: test_store_device_cli.py
    token = response.cookies[COOKIE]
    assert len(token) >= 43 and body["name"] == "柜台"
    stored = b"".join(p.read_bytes() for p in served.db.path.parent.glob("devices.sqlite3*"))
    assert token.encode() not in stored and body["csrf_token"].encode() not in stored
    with sqlite3.connect(served.db.path) as conn:
        assert conn.execute("SELECT token_hash FROM device").fetchall() == [(token_hash(token),)]
    assert served.db.path.stat().st_mode & 0o777 == 0o600
    with httpx.Client(base_url=served.url, cookies={COOKIE: token}) as device:
        assert [p["display_name"] for p in device.get("/prompts/recent").json()] == [NAME]
        me = device.get("/device/me").json()
        assert me == {"device_id": body["device_id"], "name": "柜台", "clerk": None,
                      "csrf_token": body["csrf_token"]}  # fmt: skip
        assert f'"csrf_token": "{body["csrf_token"]}"' in device.get("/").text


def test_a_code_pairs_once_and_not_after_it_expired(served: Served) -> None:
    code = served.code()
    assert httpx.post(f"{served.url}/device/pair", json={"code": code}).status_code == 200
    used = httpx.post(f"{served.url}/device/pair", json={"code": code})
    assert (used.status_code, used.json()) == (
        400,
        {"detail": "wrong, expired or used pairing code"},
    )
    old = new_code(served.db, "old", minutes=1, now=time.time() - 61).code
    expired = httpx.post(f"{served.url}/device/pair", json={"code": old})
    assert expired.status_code == 400 and "set-cookie" not in expired.headers
    spaced = served.code()
    typed = f"{spaced[:4]} {spaced[4:]}"  # as the CLI shows it
    assert httpx.post(f"{served.url}/device/pair", json={"code": typed}).status_code == 200


def test_guessing_codes_is_rate_limited_for_the_whole_gateway(served: Served) -> None:
    good = served.code()
    for n in range(FAILURE_LIMIT):
        wrong = httpx.post(f"{served.url}/device/pair", json={"code": f"{n:08d}"})
        assert wrong.status_code == 400
    limited = httpx.post(f"{served.url}/device/pair", json={"code": good})
    assert limited.status_code == 429, "even the right code waits while guessing goes on"
    with sqlite3.connect(served.db.path) as conn:  # ten minutes later
        conn.execute("UPDATE pairing_failure SET at = at - 601")
    assert httpx.post(f"{served.url}/device/pair", json={"code": good}).status_code == 200


def test_at_most_a_few_codes_are_live_at_once(served: Served) -> None:
    for _ in range(LIVE_CODE_LIMIT):
        served.code()
    with pytest.raises(PairingRefused, match="pairing codes are still valid"):
        served.code()


def test_a_wrong_host_is_refused_before_anything_else(served: Served) -> None:
    with served.pair() as device:
        for path in ("/", "/prompts/recent", "/static/store.js", "/healthz", "/device/me"):
            response = device.get(path, headers={"Host": "evil.example:8090"})
            assert response.status_code == 421, path
            assert NAME not in response.text
        for host in ("localhost", "store-pc.local", f"127.0.0.1:{served.port}"):
            assert device.get("/prompts/recent", headers={"Host": host}).status_code == 200
        prompt_id = served.bus.recent()[0][0].prompt_id
        rebound = device.post(
            f"/prompts/{prompt_id}/acted",
            json={"action": "done"},
            headers={"Host": "rebind.attacker.test"},
        )
        assert rebound.status_code == 421 and served.acted.calls == []
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as raw:
        raw.sendall(b"GET /prompts/recent HTTP/1.0\r\n\r\n")  # no Host at all
        assert raw.recv(100).startswith(b"HTTP/1.1 400")


def test_writes_need_the_csrf_token_and_a_same_origin(served: Served) -> None:
    prompt_id = served.bus.recent()[0][0].prompt_id
    url = f"/prompts/{prompt_id}/acted"
    with served.pair() as device:
        token = device.headers.pop(CSRF_HEADER)
        missing = device.post(url, json={"action": "done"})
        assert (missing.status_code, missing.json()["detail"]) == (
            403,
            f"missing or wrong {CSRF_HEADER} header",
        )
        forged = device.post(url, json={"action": "done"}, headers={CSRF_HEADER: "x" * 64})
        assert forged.status_code == 403
        device.headers[CSRF_HEADER] = token
        foreign = device.post(url, json={"action": "done"}, headers={"Origin": "http://evil.test"})
        assert foreign.status_code == 403
        https_origin = {"Origin": f"https://127.0.0.1:{served.port}"}  # the page is http
        assert device.post(url, json={"action": "done"}, headers=https_origin).status_code == 403
        cross_site = device.post(
            url, json={"action": "done"}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert cross_site.status_code == 403
        assert served.acted.calls == []
        own = {"Origin": f"http://127.0.0.1:{served.port}", "Sec-Fetch-Site": "same-origin"}
        assert device.post(url, json={"action": "done"}, headers=own).status_code == 202
        assert served.acted.calls == [(prompt_id, "done", None)]
        evil_pair = httpx.post(
            f"{served.url}/device/pair",
            json={"code": served.code()},
            headers={"Origin": "http://evil.test"},
        )
        assert evil_pair.status_code == 403 and "set-cookie" not in evil_pair.headers


def test_a_revoked_device_is_refused_at_once_and_its_open_stream_ends(served: Served) -> None:
    with served.pair() as device:
        device_id = device.get("/device/me").json()["device_id"]
        with device.stream("GET", "/prompts/stream") as stream:
            events = sse_events(stream)
            assert next(events) == ("comment", "storepulse")
            assert served.registry.revoke(device_id)
            rest = [kind for kind, _ in events]  # ends within recheck_s (0.2 s here)
            assert "prompt" in rest  # the backlog sent before the revocation
        for response in (device.get("/prompts/recent"), device.get("/prompts/stream")):
            assert response.status_code == 401
        assert 'data-testid="pair-form"' in device.get("/").text
        assert not served.registry.revoke(device_id), "revoked once"
    wait_until(lambda: served.bus.stats()["subscribers"] == 0)


def test_the_staff_id_is_the_signed_in_clerk_never_the_body(tmp_path: Path) -> None:
    with serve_page(tmp_path, clerks=[clerk("S07"), clerk("S08", "李强", "135790")]) as served:
        first, second = make_prompt("A *"), make_prompt("B *")
        served.bus.publish(first)
        served.bus.publish(second)
        with served.pair() as device:
            url = f"/prompts/{first.prompt_id}/acted"
            named = device.post(url, json={"action": "done", "staff_id": "S08"})
            assert named.status_code == 422, "a body cannot say who acted"
            anonymous = device.post(url, json={"action": "done"})
            assert (anonymous.status_code, anonymous.json()["detail"]) == (
                403,
                "a clerk signs in on this device first",
            )
            wrong = device.post("/device/clerk", json={"staff_id": "S07", "pin": "0000"})
            assert (wrong.status_code, wrong.json()["detail"]) == (403, "wrong clerk or PIN")
            nobody = device.post("/device/clerk", json={"staff_id": "S99", "pin": CLERK_PIN})
            assert nobody.status_code == 403
            signed = device.post("/device/clerk", json={"staff_id": "S07", "pin": CLERK_PIN})
            assert signed.json() == {"staff_id": "S07", "name": "张敏"}
            assert device.post(url, json={"action": "done"}).status_code == 202
            assert served.acted.calls == [(first.prompt_id, "done", "S07")]
            assert device.get("/device/me").json()["clerk"]["staff_id"] == "S07"
            assert '"clerk": {"staff_id": "S07"' in device.get("/").text
            assert device.post("/device/clerk/sign-out").status_code == 204
            again = device.post(f"/prompts/{second.prompt_id}/acted", json={"action": "done"})
            assert again.status_code == 403


def test_wrong_pins_lock_sign_in_on_that_device(tmp_path: Path) -> None:
    with (
        serve_page(tmp_path, clerks=[clerk("S07")]) as served,
        served.pair() as device,
        served.pair("另一台") as other,
    ):
        for _ in range(5):
            device.post("/device/clerk", json={"staff_id": "S07", "pin": "9999"})
        locked = device.post("/device/clerk", json={"staff_id": "S07", "pin": CLERK_PIN})
        assert locked.status_code == 429, "the right PIN too, until the lock ends"
        assert device.get("/device/me").json()["clerk"] is None
        mine = other.post("/device/clerk", json={"staff_id": "S07", "pin": CLERK_PIN})
        assert mine.status_code == 200, "another device is not locked"
        config = json.loads(
            other.get("/").text.split('type="application/json">')[1].split("</script>")[0]
        )
        assert config["clerks"] == [{"staff_id": "S07", "name": "张敏"}]
        assert "pin_hash" not in json.dumps(config)


def test_config_names_the_hosts_clerks_and_warns_of_an_empty_wildcard_list(
    tmp_path: Path,
) -> None:
    from edge.config import parse_config
    from edge.errors import ConfigError

    gateway = {"id": "gw-1", "store_id": "s", "data_dir": str(tmp_path), "tenant_key": "k" * 20}
    tls = {"tls_certfile": "/c.pem", "tls_keyfile": "/k.pem"}
    listed = {"host": "0.0.0.0", **tls, "allowed_hosts": ["Store-PC.local.", "[fd00::5]"]}
    page = parse_config({"gateway": gateway, "store_page": listed}).store_page
    assert page.allowed_host_names == {
        "localhost", "127.0.0.1", "::1", "store-pc.local", "fd00::5"
    }  # fmt: skip
    lan = parse_config({"gateway": gateway, "store_page": {"host": "192.168.1.9", **tls}})
    assert "192.168.1.9" in lan.store_page.allowed_host_names and lan.warnings() == []
    bare = parse_config({"gateway": gateway, "store_page": {"host": "0.0.0.0", **tls}})
    assert bare.warnings() == [
        "store_page: host 0.0.0.0 listens on every address but allowed_hosts is empty: "
        "devices on the LAN get 421 until their address or name is listed"
    ]
    one = {"staff_id": "S07", "name": "张敏", "pin_hash": clerk().pin_hash}
    with pytest.raises(ConfigError, match="clerk staff ids must be unique: S07"):
        parse_config({"gateway": gateway, "store_page": {"clerks": [one, one]}})
    with pytest.raises(ConfigError, match=r"store_page\.clerks\[0\]\.pin_hash: Value error"):
        parse_config({"gateway": gateway, "store_page": {"clerks": [{**one, "pin_hash": "2468"}]}})
    assert tmp_path.exists() and not (tmp_path / "devices.sqlite3").exists(), (
        "parsing reads nothing"
    )
