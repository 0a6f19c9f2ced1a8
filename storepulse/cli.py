"""`storepulse …` subcommands. Imports are lazy so a store box needs only the edge extra."""

from pathlib import Path
from typing import Annotated

import typer

from storepulse.hub_auth_cli import api_key_app, login_app
from storepulse.import_cli import import_app
from storepulse.org_cli import register as register_org_commands
from storepulse.provisioning.cli import broker_app
from storepulse.store_devices_cli import register as register_device_commands

app = typer.Typer(help="StorePulse: store-edge CRM.", no_args_is_help=True)


@app.callback()
def main(
    log_json: Annotated[
        bool | None, typer.Option("--log-json/--log-text", help="log format (default: by tty)")
    ] = None,
) -> None:
    from storepulse.logs import configure_logging

    configure_logging(json=log_json)


edge_app = typer.Typer(help="The store gateway.", no_args_is_help=True)
hub_app = typer.Typer(help="The cloud hub.", no_args_is_help=True)
app.add_typer(edge_app, name="edge")
app.add_typer(hub_app, name="hub")
app.add_typer(broker_app, name="broker")
app.add_typer(import_app, name="import")
hub_app.add_typer(api_key_app, name="api-key")
hub_app.add_typer(login_app, name="login")
register_device_commands(edge_app)
register_org_commands(hub_app)


@edge_app.command("run")
def edge_run(
    config: Annotated[Path, typer.Option("--config", "-c", help="gateway TOML file")],
) -> None:
    """Run a gateway from its TOML config until interrupted."""
    from edge.main import run_gateway

    raise typer.Exit(run_gateway(config))


@edge_app.command("check-config")
def edge_check_config(
    config: Annotated[Path, typer.Option("--config", "-c", help="gateway TOML file")],
) -> None:
    """Validate a gateway config: errors (exit 2) and warnings name each field."""
    from edge.config import load_config
    from edge.errors import ConfigError

    try:
        checked = load_config(config)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    warnings = checked.warnings()
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"{config}: ok" + (f" ({len(warnings)} warning(s))" if warnings else ""))


@hub_app.command("serve")
def hub_serve(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="hub TOML file")] = None,
    seed_demo: Annotated[
        bool, typer.Option("--seed-demo", help="load the demo region, stores and customers")
    ] = False,
) -> None:
    """Run the hub: MQTT ingest and the web API (settings: file, then STOREPULSE_HUB_* env)."""
    from hub.main import run_hub
    from storepulse.logs import current_setup

    raise typer.Exit(run_hub(config, seed_demo_data=seed_demo, process_initializer=current_setup()))


@hub_app.command("migrate")
def hub_migrate(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="hub TOML file")] = None,
) -> None:
    """Create or upgrade the hub database schema (Alembic)."""
    from hub.main import migrate

    raise typer.Exit(migrate(config))


@app.command("demo")
def demo(
    check: Annotated[
        bool, typer.Option("--check", help="run the scenario headless; exit 0 only if it passes")
    ] = False,
) -> None:
    """Run the whole system on embedded defaults: in-process broker, hub on an embedded
    PostgreSQL, one gateway."""
    from storepulse.demo import run_demo

    raise typer.Exit(run_demo(check=check))


if __name__ == "__main__":
    app()
