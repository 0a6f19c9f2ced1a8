"""`storepulse hub org regions|stores|staff list|add|update`, `staff leave|shift|resolve|
unknown`: the organisation from a terminal, as an admin of `--tenant`, every write audited
as `cli:<os user>`. The database is the hub's (`--config`, as `hub serve`)."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from storepulse.org_support import (
    ConfigOpt,
    TenantOpt,
    cli_scope,
    console,
    given,
    parse,
    parse_hours,
    run,
    table,
)

if TYPE_CHECKING:
    from hub.crm.org.staff import StaffRecord
    from hub.db.models import Region, Store

org_app = typer.Typer(help="Regions, stores and staff.", no_args_is_help=True)
regions_app = typer.Typer(help="Regions of a tenant.", no_args_is_help=True)
stores_app = typer.Typer(help="Stores of a tenant.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff of a tenant.", no_args_is_help=True)
org_app.add_typer(regions_app, name="regions")
org_app.add_typer(stores_app, name="stores")
org_app.add_typer(staff_app, name="staff")

Lat = Annotated[float | None, typer.Option("--lat", help="latitude, WGS 84 (with --lon)")]
Lon = Annotated[float | None, typer.Option("--lon", help="longitude, WGS 84 (with --lat)")]
NoPoint = Annotated[bool, typer.Option("--no-coordinates", help="clear the coordinates")]
Hours = Annotated[
    list[str] | None,
    typer.Option("--hours", help="e.g. mon-fri=09:00-21:00 sat=10:00-02:00 (repeat)"),
]
Limit = Annotated[int, typer.Option("--limit", min=1, max=200)]
After = Annotated[str | None, typer.Option("--after", help="the last id of the page before")]
Name = Annotated[str | None, typer.Option("--name")]
Address = Annotated[str | None, typer.Option("--address")]


def _place(lat: float | None, lon: float | None, clear: bool = False) -> dict[str, Any]:
    if clear:
        return {"coordinates": None}
    if lat is None and lon is None:
        return {}
    return {"coordinates": given(latitude=lat, longitude=lon)}


def _point(r: "Region | Store") -> str | None:
    return None if r.latitude is None else f"{r.latitude:.5f}, {r.longitude:.5f}"


def _show_regions(rows: "list[Region]", title: str = "regions") -> None:
    table(title, ["id", "name", "address", "coordinates"],
          [(r.id, r.name, r.address, _point(r)) for r in rows])  # fmt: skip


def _show_stores(rows: "list[Store]", title: str = "stores") -> None:
    def hours(s: "Store") -> str:
        return " ".join(
            f"{d}={','.join('-'.join(x) for x in v)}" for d, v in s.opening_hours.items()
        )

    columns = ["id", "region", "name", "city", "address", "coordinates", "zone", "hours", "status"]
    table(title, columns, [(s.id, s.region_id, s.name, s.city, s.address, _point(s),
                            s.time_zone, hours(s), s.status) for s in rows])  # fmt: skip


def _show_staff(rows: "list[StaffRecord]", title: str = "staff") -> None:
    table(title, ["id", "code", "name", "role", "store", "region", "skills", "shift", "status",
                  "phone", "email"],
          [(r.staff.id, r.staff.code, r.staff.name, r.staff.role, r.staff.home_store_id,
            r.staff.region_id, ",".join(r.staff.skills), "on" if r.staff.on_shift else "off",
            r.staff.status, r.phone, r.email) for r in rows])  # fmt: skip


def _more(next_cursor: str | None) -> None:
    if next_cursor:
        console().print(f"more: --after {next_cursor}")


@regions_app.command("list")
def regions_list(tenant: TenantOpt, config: ConfigOpt = None, after: After = None,
                 limit: Limit = 50) -> None:  # fmt: skip
    """The tenant's regions, in id order."""
    from hub.crm.org import regions

    page = run(config, lambda s: regions.list_regions(
        session=s, scope=cli_scope(tenant), after=after, limit=limit))  # fmt: skip
    _show_regions(list(page.rows))
    _more(page.next_cursor)


@regions_app.command("add")
def regions_add(
    tenant: TenantOpt,
    region_id: Annotated[str, typer.Option("--id", help="e.g. region-sh")],
    name: Annotated[str, typer.Option("--name")],
    address: Annotated[str, typer.Option("--address", help="the regional office")] = "",
    lat: Lat = None,
    lon: Lon = None,
    config: ConfigOpt = None,
) -> None:
    """Add a region."""
    from hub.crm.org import regions
    from hub.crm.org.inputs import RegionDraft

    draft = parse(RegionDraft, {"id": region_id, "name": name, "address": address,
                                **_place(lat, lon)})  # fmt: skip
    made = run(config, lambda s: regions.create_region(session=s, scope=cli_scope(tenant),
               draft=draft), write=True)  # fmt: skip
    _show_regions([made], "added")


@regions_app.command("update")
def regions_update(
    region_id: Annotated[str, typer.Argument()],
    tenant: TenantOpt,
    name: Name = None,
    address: Address = None,
    lat: Lat = None,
    lon: Lon = None,
    no_coordinates: NoPoint = False,
    config: ConfigOpt = None,
) -> None:
    """Change the fields given of a region."""
    from hub.crm.org import regions
    from hub.crm.org.inputs import RegionChanges

    changes = parse(RegionChanges, {**given(name=name, address=address),
                                    **_place(lat, lon, no_coordinates)})  # fmt: skip
    done = run(config, lambda s: regions.update_region(session=s, scope=cli_scope(tenant),
               region_id=region_id, changes=changes), write=True)  # fmt: skip
    _show_regions([done], "updated")


@stores_app.command("list")
def stores_list(
    tenant: TenantOpt,
    region: Annotated[str | None, typer.Option("--region")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open or closed")] = None,
    after: After = None,
    limit: Limit = 50,
    config: ConfigOpt = None,
) -> None:
    """The tenant's stores, in id order."""
    from hub.crm.org import stores

    page = run(config, lambda s: stores.list_stores(session=s, scope=cli_scope(tenant),
               region_id=region, status=status, after=after, limit=limit))  # fmt: skip
    _show_stores(list(page.rows))
    _more(page.next_cursor)


def _store_fields(city: str | None, zone: str | None, hours: list[str] | None,
                  status: str | None) -> dict[str, Any]:  # fmt: skip
    fields = given(city=city, time_zone=zone, status=status)
    if hours:
        fields["opening_hours"] = parse_hours(hours)
    return fields


City = Annotated[str | None, typer.Option("--city")]
Zone = Annotated[str | None, typer.Option("--time-zone", help="IANA, e.g. Asia/Shanghai")]
Status = Annotated[str | None, typer.Option("--status", help="open or closed")]


@stores_app.command("add")
def stores_add(
    tenant: TenantOpt,
    store_id: Annotated[str, typer.Option("--id", help="e.g. store-sh-xuhui")],
    region: Annotated[str, typer.Option("--region")],
    name: Annotated[str, typer.Option("--name")],
    address: Address = None,
    city: City = None,
    lat: Lat = None,
    lon: Lon = None,
    zone: Zone = None,
    hours: Hours = None,
    status: Status = None,
    config: ConfigOpt = None,
) -> None:
    """Add a store."""
    from hub.crm.org import stores
    from hub.crm.org.inputs import StoreDraft

    fields = {"id": store_id, "region_id": region, "name": name, **given(address=address),
              **_place(lat, lon), **_store_fields(city, zone, hours, status)}  # fmt: skip
    draft = parse(StoreDraft, fields)
    made = run(config, lambda s: stores.create_store(session=s, scope=cli_scope(tenant),
               draft=draft), write=True)  # fmt: skip
    _show_stores([made], "added")


@stores_app.command("update")
def stores_update(
    store_id: Annotated[str, typer.Argument()],
    tenant: TenantOpt,
    region: Annotated[str | None, typer.Option("--region")] = None,
    name: Name = None,
    address: Address = None,
    city: City = None,
    lat: Lat = None,
    lon: Lon = None,
    no_coordinates: NoPoint = False,
    zone: Zone = None,
    hours: Hours = None,
    status: Status = None,
    config: ConfigOpt = None,
) -> None:
    """Change the fields given of a store (--hours replaces the whole week)."""
    from hub.crm.org import stores
    from hub.crm.org.inputs import StoreChanges

    fields = {
        **given(region_id=region, name=name, address=address),
        **_place(lat, lon, no_coordinates),
        **_store_fields(city, zone, hours, status),
    }
    changes = parse(StoreChanges, fields)
    done = run(config, lambda s: stores.update_store(session=s, scope=cli_scope(tenant),
               store_id=store_id, changes=changes), write=True)  # fmt: skip
    _show_stores([done], "updated")


def register(hub_app: typer.Typer) -> None:
    from storepulse import org_staff_cli

    org_staff_cli.register(staff_app)
    hub_app.add_typer(org_app, name="org")
