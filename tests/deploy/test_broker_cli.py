"""`storepulse broker …` through typer's runner, with the real mosquitto_passwd and, where
it reloads, a real broker."""

import stat
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storepulse.provisioning.broker_config import BrokerLayout
from storepulse.provisioning.cli import broker_app
from storepulse.provisioning.passwords import PasswordFile
from tests.deploy.mqtt_probe import Probe, wait_for
from tests.deploy.secured_broker import SecuredBroker

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(broker_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _sections(conf: str) -> dict[str, list[str]]:
    """The conf's option lines: before the first listener ("global"), then per listener."""
    sections: dict[str, list[str]] = {"global": []}
    current = sections["global"]
    for line in conf.splitlines():
        if line.startswith("listener "):
            current = sections.setdefault(line, [])
        elif line and not line.startswith("#"):
            current.append(line)
    return sections


def test_render_config_fills_every_field(tmp_path: Path) -> None:
    layout = tmp_path / "layout.toml"
    layout.write_text('gateway_port = 18883\nhub_port = 18884\nhub_user = "_ingest"\n')
    code, _, err = _run("render-config", "--out", str(tmp_path / "etc"), "--layout", str(layout))
    assert code == 0, err
    conf = (tmp_path / "etc" / "storepulse.conf").read_text()
    acl = (tmp_path / "etc" / "acl").read_text()
    hub_acl = (tmp_path / "etc" / "hub.acl").read_text()
    assert "{{" not in conf + acl + hub_acl
    sections = _sections(conf)
    assert set(sections) == {"global", "listener 18883 0.0.0.0", "listener 18884 127.0.0.1"}
    assert "per_listener_settings true" in sections["global"]
    assert "pid_file /run/mosquitto/mosquitto.pid" in sections["global"]
    gateways, hub = sections["listener 18883 0.0.0.0"], sections["listener 18884 127.0.0.1"]
    for line in ("password_file /etc/mosquitto/storepulse.passwd", "use_username_as_clientid true"):
        assert line in gateways and line not in hub
    assert "acl_file /etc/mosquitto/storepulse.acl" in gateways
    assert "password_file /etc/mosquitto/storepulse-hub.passwd" in hub
    assert "acl_file /etc/mosquitto/storepulse-hub.acl" in hub
    assert "allow_anonymous false" in gateways and "allow_anonymous false" in hub
    assert "pattern write sp/v1/gw/%u/events" in acl and "\nuser " not in acl
    assert "user _ingest\ntopic read sp/v1/gw/+/events" in hub_acl and "pattern" not in hub_acl


# "\\n" becomes a newline in the TOML layout file: a user that would add an ACL line.
@pytest.mark.parametrize("hub_user", ["hub", "_h/b", "_h+b", "_h:b", "_", "_hub\\ntopic read #"])
def test_render_config_refuses_a_hub_user_that_could_be_a_gateway(
    tmp_path: Path, hub_user: str
) -> None:
    layout = tmp_path / "layout.toml"
    layout.write_text(f'hub_user = "{hub_user}"\n')
    code, _, err = _run("render-config", "--out", str(tmp_path), "--layout", str(layout))
    assert code == 2
    assert "hub_user" in err
    assert not (tmp_path / "storepulse.conf").exists()


def test_add_rotate_and_revoke_a_gateway(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    code, out, err = _run("add-gateway", "store-0042.pi", "--password-file", str(passwd))
    assert code == 0, err
    first = out.strip()
    assert len(first) >= 43, "256 bits, url-safe base64"
    assert "not reloaded" in err
    line = passwd.read_text().strip()
    assert line.startswith("store-0042.pi:$7$") and first not in line, "stored hashed (PBKDF2)"

    code, _, err = _run("add-gateway", "store-0042.pi", "--password-file", str(passwd))
    assert code == 2 and "already has credentials" in err

    secret = tmp_path / "secret"
    code, out, _ = _run(
        "add-gateway", "store-0042.pi", "-p", str(passwd), "--rotate", "--secret-out", str(secret)
    )
    assert code == 0 and out == ""
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text().strip() != first

    code, out, _ = _run("revoke-gateway", "store-0042.pi", "-p", str(passwd))
    assert code == 0 and "revoked" in out
    assert PasswordFile(passwd).users() == set()
    code, out, _ = _run("revoke-gateway", "store-0042.pi", "-p", str(passwd))
    assert code == 0 and "had no credentials" in out


@pytest.mark.parametrize(
    "bad_id", ["a/b", "a+", "#", "-lead", "_hub", "a:b", "x" * 65, "", "gw-evil\n", "gw\nuser _hub"]
)
def test_bad_gateway_ids_are_refused(tmp_path: Path, bad_id: str) -> None:
    code, _, err = _run("add-gateway", "--password-file", str(tmp_path / "passwd"), "--", bad_id)
    assert code == 2
    assert "bad gateway id" in err
    assert not (tmp_path / "passwd").exists()


@pytest.mark.parametrize("user", ["hub", "storepulse-hub", "_hub\n", "_h b"])
def test_set_hub_password_refuses_a_gateway_like_name(tmp_path: Path, user: str) -> None:
    code, _, err = _run("set-hub-password", "-p", str(tmp_path / "p"), "--user", user)
    assert code == 2 and "must be '_' then letters" in err
    assert not (tmp_path / "p").exists()


def test_gateway_and_hub_accounts_never_share_a_password_file(tmp_path: Path) -> None:
    """Each listener reads its own file; an account in the other's would work there."""
    gateways, hub = str(tmp_path / "passwd"), str(tmp_path / "hub.passwd")
    assert _run("add-gateway", "gw-1", "-p", gateways)[0] == 0
    assert _run("set-hub-password", "-p", hub)[0] == 0

    code, _, err = _run("add-gateway", "gw-2", "-p", hub)
    assert code == 2 and "holds the hub's account(s) _hub" in err and "password_file" in err
    code, _, err = _run("set-hub-password", "-p", gateways)
    assert code == 2 and "holds gateways' account(s) gw-1" in err and "hub_password_file" in err
    assert PasswordFile(Path(gateways)).users() == {"gw-1"}
    assert PasswordFile(Path(hub)).users() == {"_hub"}


def test_the_shipped_hub_template_names_a_hub_user_set_hub_password_accepts(
    tmp_path: Path,
) -> None:
    hub = tomllib.loads((ROOT / "deploy" / "hub.example.toml").read_text())
    passwd = tmp_path / "hub.passwd"
    code, _, err = _run("set-hub-password", "-p", str(passwd), "--user", hub["mqtt_username"])
    assert code == 0, err
    assert PasswordFile(passwd).users() == {hub["mqtt_username"]}
    assert hub["mqtt_port"] == BrokerLayout().hub_port, "the hub logs in on the hub listener"


def test_add_and_revoke_reload_a_running_broker(tmp_path: Path, broker: SecuredBroker) -> None:
    pid_file = tmp_path / "mosquitto.pid"
    pid_file.write_text(f"{broker.pid}\n")
    passwd = str(broker.layout.password_file)
    code, out, err = _run("add-gateway", "C", "-p", passwd, "--pid-file", str(pid_file))
    assert code == 0 and f"broker {broker.pid} reloaded" in out, err
    wait_for(lambda: broker.reloads() == 1)
    password = out.splitlines()[0]

    def connect() -> str:
        probe = Probe(broker.layout.gateway_port, "C", password, broker.ca.cert_path)
        try:
            return str(probe.connect())
        finally:
            probe.close()

    assert connect() == "Success"
    code, _, err = _run("revoke-gateway", "C", "-p", passwd, "--pid", str(broker.pid))
    assert code == 0, err
    wait_for(lambda: broker.reloads() == 2)
    assert connect() == "Not authorized"


def test_reload_of_a_missing_broker_is_an_error(tmp_path: Path) -> None:
    pid_file = tmp_path / "stale.pid"
    pid_file.write_text("not a pid\n")
    code, _, err = _run("add-gateway", "D", "-p", str(tmp_path / "p"), "--pid-file", str(pid_file))
    assert code == 2 and "cannot read a broker pid" in err
