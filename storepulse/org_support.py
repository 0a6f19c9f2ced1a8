"""What the `storepulse hub org` commands share: the hub database and the CLI's scope,
errors turned into messages and exit codes, tables, and the `--hours` syntax."""

import getpass
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.auth.scope import Scope

T = TypeVar("T")
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="hub TOML file (as `hub serve`)")
]
TenantOpt = Annotated[
    str, typer.Option("--tenant", "-t", envvar="STOREPULSE_TENANT", help="the tenant's id")
]
# Input fields and the options that set them, where the names differ.
OPTIONS = {
    "opening_hours": "--hours",
    "home_store_id": "--store",
    "region_id": "--region",
    "coordinates": "--lat/--lon",
    "skills": "--skill",
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(?P<days>[a-z,-]+)=(?P<spans>[0-9:,-]+)$")


def console() -> Console:
    return Console()  # made when printing: the terminal's width then


def fail(message: str, code: int = 1) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def cli_scope(tenant_id: str) -> "Scope":
    """An admin of the tenant, audited as the operating-system user who ran the command."""
    from hub.auth.scope import Role, Scope

    return Scope(tenant_id=tenant_id, role=Role.ADMIN, subject=f"cli:{getpass.getuser()}")


@contextmanager
def _sessions(config: Path | None) -> Iterator[Any]:
    from hub.admin_db import admin_sessions
    from hub.errors import ConfigError, StorageError
    from hub.settings import load_settings

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        raise fail(str(exc), 2) from exc
    try:
        with admin_sessions(settings) as sessions:
            yield sessions
    except StorageError as exc:
        raise fail(f"the hub database: {exc}", 3) from exc


def run(config: Path | None, work: Callable[["Session"], T], *, write: bool = False) -> T:
    """`work` in one transaction (committed if `write`); the organisation's refusals become
    messages: 1 for not found, taken or refused, 2 for bad input."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.crm.org.errors import Forbidden, OrgError
    from hub.errors import NotFound

    with _sessions(config) as sessions:
        try:
            if write:
                with sessions.begin() as session:
                    return work(session)
            with sessions() as session:
                return work(session)
        except NotFound as exc:
            raise fail(f"not found: {exc}") from exc
        except (OrgError, Forbidden) as exc:
            raise fail(str(exc)) from exc
        except SQLAlchemyError as exc:
            raise fail(f"the hub database: {exc}", 3) from exc


def parse(model: type[T], fields: dict[str, Any]) -> T:
    """A domain input model from options; a bad one exits 2 naming each field."""
    try:
        return model.model_validate(fields)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as exc:
        raise fail("; ".join(_problems(exc)), 2) from exc


def _problems(exc: ValidationError) -> list[str]:
    lines = []
    for e in exc.errors():
        if e["type"] == "none_required":  # the "or null" branch of a field that may be cleared
            continue
        # Union branches are named by their model's class: not a place in the input.
        loc = [str(p) for p in e["loc"] if not (isinstance(p, str) and p[:1].isupper())]
        option = OPTIONS.get(loc[0], "--" + loc[0].replace("_", "-")) if loc else "input"
        where = " " + ".".join(loc[1:]) if len(loc) > 1 else ""
        lines.append(f"{option}{where}: {e['msg']}")
    return lines


def parse_hours(values: Sequence[str]) -> dict[str, list[list[str]]]:
    """`mon-fri=09:00-21:00` `sat,sun=10:00-12:00,13:00-18:00`: days (a range or a list),
    then spans; a span ending before it starts runs past midnight."""
    hours: dict[str, list[list[str]]] = {}
    for value in values:
        found = _HOURS.match(value.strip().lower())
        if found is None:
            raise fail(f"--hours {value!r}: expected like mon-fri=09:00-21:00", 2)
        spans = [span.split("-") for span in found["spans"].split(",")]
        if any(len(span) != 2 for span in spans):
            raise fail(f"--hours {value!r}: each span is HH:MM-HH:MM", 2)
        for day in _days(found["days"], value):
            hours.setdefault(day, []).extend(spans)
    return hours


def _days(text: str, value: str) -> list[str]:
    days: list[str] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise fail(f"--hours {value!r}: days are {', '.join(DAYS)}", 2)
        days += DAYS[DAYS.index(first) : DAYS.index(last or first) + 1]
    return days


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(column, overflow="fold")  # ids and codes whole, never "…"
    for row in rows:
        shown.add_row(*("-" if v is None else str(v) for v in row))
    console().print(shown)


def given(**options: Any) -> dict[str, Any]:
    """The options given (not None): a change names only the fields it changes."""
    return {name: value for name, value in options.items() if value is not None}
