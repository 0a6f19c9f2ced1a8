"""`storepulse edge pair-device`, `edge devices list|revoke`, `edge hash-pin`.

They work on the gateway's `devices.sqlite3` (found through the gateway config's
`gateway.data_dir`), the same file the running gateway reads on every request, so a code
made here works on the running page and a revocation takes effect at once; no restart.
Run them as the gateway's own user: a file made by another user is one the gateway
cannot open.
"""

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from edge.store_device.db import DeviceDb

devices_app = typer.Typer(help="Store devices paired with this gateway.", no_args_is_help=True)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="gateway TOML file")]


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "-"


def _open_db(config_path: Path) -> "DeviceDb":
    from edge.config import load_config
    from edge.errors import EdgeError
    from edge.store_device.db import DeviceDb

    try:
        config = load_config(config_path)
    except EdgeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    data_dir = config.gateway.data_dir
    if data_dir.exists() and data_dir.stat().st_uid != os.geteuid():
        typer.echo(
            f"error: {data_dir} belongs to uid {data_dir.stat().st_uid}: run this as the "
            "gateway's user (e.g. sudo -u storepulse ...)",
            err=True,
        )
        raise typer.Exit(2)
    try:
        return DeviceDb(config.devices_path).open()
    except EdgeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def pair_device(
    config: ConfigOpt,
    name: Annotated[str, typer.Option("--name", "-n", help="what to call the device")] = "",
    minutes: Annotated[float, typer.Option("--minutes", help="how long the code is valid")] = 10,
) -> None:
    """Make a one-time pairing code; enter it on the store device's page to pair it."""
    from edge.store_device.pairing import PairingRefused, new_code

    db = _open_db(config)
    try:
        code = new_code(db, name or f"device {time.strftime('%Y-%m-%d %H:%M')}", minutes)
    except PairingRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        db.close()
    typer.echo(f"pairing code: {code.shown}")
    typer.echo(
        f"for device {code.name!r}; valid until {_when(code.expires_at)} (once). "
        "Open the store page on the device and enter it."
    )


@devices_app.command("list")
def devices_list(config: ConfigOpt) -> None:
    """Paired devices: id, name, when paired and last seen, who is signed in, state."""
    from edge.store_device.registry import DeviceRegistry

    db = _open_db(config)
    try:
        devices = DeviceRegistry(db).all()
    finally:
        db.close()
    if not devices:
        typer.echo("no devices paired")
        return
    now = time.time()
    typer.echo(f"{'id':<13} {'name':<20} {'paired':<17} {'last seen':<17} {'clerk':<10} state")
    for d in devices:
        state = f"revoked {_when(d.revoked_at)}" if d.revoked_at else "active"
        typer.echo(
            f"{d.device_id:<13} {d.name[:20]:<20} {_when(d.paired_at):<17} "
            f"{_when(d.last_seen_at):<17} {(d.clerk(now) or '-'):<10} {state}"
        )


@devices_app.command("revoke")
def devices_revoke(
    device_id: Annotated[str, typer.Argument(help="the id `devices list` shows")],
    config: ConfigOpt,
) -> None:
    """Revoke a device: its cookie stops working at once (an open page within 30 s)."""
    from edge.store_device.registry import DeviceRegistry

    db = _open_db(config)
    try:
        revoked = DeviceRegistry(db).revoke(device_id)
    finally:
        db.close()
    if not revoked:
        typer.echo(f"error: no active device {device_id}", err=True)
        raise typer.Exit(2)
    typer.echo(f"device {device_id} revoked")


def hash_pin(
    pin: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="4-12 digits"),
    ],
) -> None:
    """Print the pin_hash line of a clerk's PIN, for store_page.clerks in the gateway config."""
    import re

    from edge.store_device.clerks import PIN_PATTERN
    from edge.store_device.clerks import hash_pin as make_hash

    if not re.fullmatch(PIN_PATTERN, pin):
        typer.echo("error: a PIN is 4 to 12 digits", err=True)
        raise typer.Exit(2)
    typer.echo(f'pin_hash = "{make_hash(pin)}"')


def register(edge_app: typer.Typer) -> None:
    edge_app.command("pair-device")(pair_device)
    edge_app.command("hash-pin")(hash_pin)
    edge_app.add_typer(devices_app, name="devices")
