"""`storepulse hub api-key create|list|revoke` and `storepulse hub login set`: admin work on
the hub's database, recorded in the audit log as `cli:<os user>`."""

import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hub.auth.scope import Scope
    from hub.settings import HubSettings

api_key_app = typer.Typer(help="Integrations' API keys.", no_args_is_help=True)
login_app = typer.Typer(help="Staff logins.", no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="hub TOML file")]
TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="the tenant's id")]


def _cli_scope(tenant_id: str) -> "Scope":
    from hub.auth.scope import Role, Scope

    return Scope(tenant_id=tenant_id, role=Role.ADMIN, subject=f"cli:{getpass.getuser()}")


def _settings(config: Path | None) -> "HubSettings":
    from hub.errors import ConfigError
    from hub.settings import load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@api_key_app.command("create")
def create_key(
    name: Annotated[str, typer.Option("--name", "-n", help="what the key is for")],
    grant: Annotated[list[str], typer.Option("--grant", "-g", help="e.g. leads:write")],
    tenant: TenantOpt,
    config: ConfigOpt = None,
) -> None:
    """Make a key; it is printed this once (only its hash is kept)."""
    from hub.admin_db import admin_sessions
    from hub.auth import api_keys
    from hub.errors import RejectedError

    with admin_sessions(_settings(config)) as sessions:
        try:
            with sessions.begin() as session:
                made = api_keys.create(session, _cli_scope(tenant), name, grant, datetime.now(UTC))
        except RejectedError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"{made.row.id}\t{','.join(made.row.grants)}\t{name}", err=True)
    typer.echo(made.key)


@api_key_app.command("list")
def list_keys(tenant: TenantOpt, config: ConfigOpt = None) -> None:
    """Every key of the tenant: id, hint, grants, created, revoked, name."""
    from hub.admin_db import admin_sessions
    from hub.auth import api_keys

    with admin_sessions(_settings(config)) as sessions, sessions() as session:
        for k in api_keys.list_keys(session, _cli_scope(tenant)):
            revoked = k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "-"
            typer.echo(
                f"{k.id}\t{k.hint}…\t{','.join(k.grants)}\t"
                f"{k.created_at.isoformat(timespec='seconds')}\t{revoked}\t{k.name}"
            )


@api_key_app.command("revoke")
def revoke_key(key_id: str, tenant: TenantOpt, config: ConfigOpt = None) -> None:
    """Revoke a key: the hub refuses it from its next request on."""
    from hub.admin_db import admin_sessions
    from hub.auth import api_keys
    from hub.errors import NotFound

    with admin_sessions(_settings(config)) as sessions:
        try:
            with sessions.begin() as session:
                api_keys.revoke(session, _cli_scope(tenant), key_id, datetime.now(UTC))
        except NotFound as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"revoked {key_id}")


@login_app.command("set")
def set_login(
    staff_id: str,
    login: Annotated[str, typer.Option("--login", "-l", help="the name to log in with")],
    tenant: TenantOpt,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Give a staff member a login, or a new password (their sessions end)."""
    from hub.admin_db import admin_sessions
    from hub.auth.credentials import set_password
    from hub.errors import HubError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with admin_sessions(_settings(config)) as sessions:
        try:
            with sessions.begin() as session:
                scope = _cli_scope(tenant)
                set_password(session, scope, staff_id, login, password, datetime.now(UTC))
        except (HubError, ValueError) as exc:  # NotFound, LoginTaken, WeakPassword
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"login {login.strip().lower()} set for {staff_id}")
