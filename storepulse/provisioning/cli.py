"""`storepulse broker …`: per-gateway broker credentials and the broker's config.

Mount with `app.add_typer(broker_app, name="broker")`. Every change to the password file
needs a broker reload to take effect; pass `--pid` or `--pid-file` to send it (SIGHUP).
"""

import tomllib
from pathlib import Path
from typing import Annotated

import typer

from storepulse.provisioning.broker_config import BrokerLayout, render_config
from storepulse.provisioning.errors import ProvisioningError
from storepulse.provisioning.passwords import (
    DEFAULT_HUB_USER,
    add_gateway,
    read_pid_file,
    reload_broker,
    revoke_gateway,
    set_hub_password,
)

broker_app = typer.Typer(help="Broker credentials, ACL and config (Mosquitto).")

PasswordFileOpt = Annotated[
    Path,
    typer.Option("--password-file", "-p", help="the gateway listener's Mosquitto password_file"),
]
HubPasswordFileOpt = Annotated[
    Path,
    typer.Option(
        "--password-file", "-p", help="the hub listener's password file (hub_password_file)"
    ),
]
PidOpt = Annotated[int | None, typer.Option("--pid", help="broker pid to reload (SIGHUP)")]
PidFileOpt = Annotated[
    Path | None, typer.Option("--pid-file", help="broker pid file, e.g. /run/mosquitto/...pid")
]
SecretOutOpt = Annotated[
    Path | None,
    typer.Option("--secret-out", help="write the new password here (0600) instead of stdout"),
]


def _fail(exc: ProvisioningError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def _reload(pid: int | None, pid_file: Path | None) -> None:
    if pid is None and pid_file is not None:
        pid = read_pid_file(pid_file)
    if pid is None:
        typer.echo("not reloaded: send SIGHUP to the broker for this to take effect", err=True)
        return
    reload_broker(pid)
    typer.echo(f"broker {pid} reloaded")


def _hand_out(password: str, secret_out: Path | None) -> None:
    if secret_out is None:
        typer.echo(password)
        return
    try:
        secret_out.touch(mode=0o600, exist_ok=True)
        secret_out.chmod(0o600)
        secret_out.write_text(password + "\n")
    except OSError as exc:
        raise ProvisioningError(f"cannot write {secret_out}: {exc}") from exc
    typer.echo(f"password written to {secret_out}", err=True)


@broker_app.command("add-gateway")
def add_gateway_cmd(
    gateway_id: Annotated[str, typer.Argument(help="the gateway id, also its MQTT user")],
    password_file: PasswordFileOpt,
    rotate: Annotated[bool, typer.Option(help="replace the password of an existing one")] = False,
    secret_out: SecretOutOpt = None,
    pid: PidOpt = None,
    pid_file: PidFileOpt = None,
) -> None:
    """Create MQTT credentials for a gateway (or rotate them) and print its password once."""
    try:
        password = add_gateway(password_file, gateway_id, replace=rotate)
        _hand_out(password, secret_out)
        _reload(pid, pid_file)
    except ProvisioningError as exc:
        raise _fail(exc) from exc


@broker_app.command("revoke-gateway")
def revoke_gateway_cmd(
    gateway_id: Annotated[str, typer.Argument(help="the gateway id")],
    password_file: PasswordFileOpt,
    pid: PidOpt = None,
    pid_file: PidFileOpt = None,
) -> None:
    """Delete a gateway's credentials; on reload the broker drops it and refuses it after."""
    try:
        removed = revoke_gateway(password_file, gateway_id)
        typer.echo(f"gateway {gateway_id} {'revoked' if removed else 'had no credentials'}")
        _reload(pid, pid_file)
    except ProvisioningError as exc:
        raise _fail(exc) from exc


@broker_app.command("set-hub-password")
def set_hub_password_cmd(
    password_file: HubPasswordFileOpt,
    user: Annotated[str, typer.Option(help="the hub's MQTT user")] = DEFAULT_HUB_USER,
    secret_out: SecretOutOpt = None,
    pid: PidOpt = None,
    pid_file: PidFileOpt = None,
) -> None:
    """Create or rotate the hub's MQTT password (the user hub.acl's `user` block names)."""
    try:
        password = set_hub_password(password_file, user)
        _hand_out(password, secret_out)
        _reload(pid, pid_file)
    except ProvisioningError as exc:
        raise _fail(exc) from exc


def load_layout(path: Path | None) -> BrokerLayout:
    if path is None:
        return BrokerLayout()
    try:
        return BrokerLayout.model_validate(tomllib.loads(path.read_text()))
    except (OSError, ValueError) as exc:  # ValidationError and TOMLDecodeError are ValueErrors
        raise ProvisioningError(f"{path}: {exc}") from exc


@broker_app.command("render-config")
def render_config_cmd(
    out: Annotated[Path, typer.Option("--out", help="directory to write into")],
    layout: Annotated[
        Path | None, typer.Option("--layout", help="TOML with BrokerLayout fields to override")
    ] = None,
) -> None:
    """Write storepulse.conf and acl from the shipped templates, filled for this host."""
    try:
        written = render_config(out, load_layout(layout))
    except ProvisioningError as exc:
        raise _fail(exc) from exc
    typer.echo(f"wrote {', '.join(map(str, written))}")
