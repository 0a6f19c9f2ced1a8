"""`storepulse hub org staff list|add|update|leave|shift|resolve|unknown`."""

from typing import Annotated

import typer

from storepulse.org_cli import _more, _show_staff
from storepulse.org_support import ConfigOpt, TenantOpt, cli_scope, given, parse, run, table

StaffId = Annotated[str, typer.Argument(help="the staff id (stf-…), as `staff list` shows")]
Skills = Annotated[list[str] | None, typer.Option("--skill", help="a skill tag (repeat)")]
Phone = Annotated[str | None, typer.Option("--phone", help="E.164, e.g. +8613812345678")]
Email = Annotated[str | None, typer.Option("--email")]
Store = Annotated[str | None, typer.Option("--store", help="home store id")]
Region = Annotated[str | None, typer.Option("--region", help="default: the store's")]
Role = Annotated[str | None, typer.Option("--role")]


def staff_list(
    tenant: TenantOpt,
    region: Region = None,
    store: Store = None,
    role: Role = None,
    on_shift: Annotated[bool | None, typer.Option("--on-shift/--off-shift")] = None,
    status: Annotated[str | None, typer.Option("--status", help="active or left")] = None,
    skill: Annotated[str | None, typer.Option("--skill")] = None,
    after: Annotated[str | None, typer.Option("--after")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
    config: ConfigOpt = None,
) -> None:
    """The tenant's staff, in id order; each filter narrows the list."""
    from hub.crm.org import staff

    where = staff.StaffFilter(region_id=region, store_id=store, role=role, on_shift=on_shift,
                              status=status, skill=skill)  # fmt: skip
    page = run(config, lambda s: staff.list_staff(session=s, scope=cli_scope(tenant),
               where=where, after=after, limit=limit))  # fmt: skip
    _show_staff(list(page.rows))
    _more(page.next_cursor)


def staff_add(
    tenant: TenantOpt,
    code: Annotated[str, typer.Option("--code", help="what the tills send as staff_id")],
    name: Annotated[str, typer.Option("--name")],
    role: Annotated[str, typer.Option("--role")],
    store: Store = None,
    region: Region = None,
    skills: Skills = None,
    phone: Phone = None,
    email: Email = None,
    on_shift: Annotated[bool, typer.Option("--on-shift")] = False,
    config: ConfigOpt = None,
) -> None:
    """Add a staff member; what the tills sent under the code before is resolved to them."""
    from hub.crm.org import staff
    from hub.crm.org.inputs import StaffDraft

    draft = parse(StaffDraft, {"code": code, "name": name, "role": role, "on_shift": on_shift,
                               **given(home_store_id=store, region_id=region, skills=skills,
                                       phone=phone, email=email)})  # fmt: skip
    made = run(config, lambda s: staff.create_staff(session=s, scope=cli_scope(tenant),
               draft=draft), write=True)  # fmt: skip
    _show_staff([made], "added")


def staff_update(
    staff_id: StaffId,
    tenant: TenantOpt,
    code: Annotated[str | None, typer.Option("--code")] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    role: Role = None,
    store: Store = None,
    region: Region = None,
    skills: Skills = None,
    phone: Phone = None,
    email: Email = None,
    config: ConfigOpt = None,
) -> None:
    """Change the fields given (--skill replaces the list)."""
    from hub.crm.org import staff
    from hub.crm.org.inputs import StaffChanges

    changes = parse(StaffChanges, given(code=code, name=name, role=role, home_store_id=store,
                    region_id=region, skills=skills, phone=phone, email=email))  # fmt: skip
    done = run(config, lambda s: staff.update_staff(session=s, scope=cli_scope(tenant),
               staff_id=staff_id, changes=changes), write=True)  # fmt: skip
    _show_staff([done], "updated")


def staff_leave(staff_id: StaffId, tenant: TenantOpt, config: ConfigOpt = None) -> None:
    """Mark a staff member as left (the record stays)."""
    from hub.crm.org import staff

    done = run(config, lambda s: staff.leave(session=s, scope=cli_scope(tenant),
               staff_id=staff_id), write=True)  # fmt: skip
    _show_staff([done], "left")


def staff_shift(
    staff_id: StaffId,
    tenant: TenantOpt,
    on: Annotated[bool, typer.Option("--on/--off", help="on or off shift")],
    config: ConfigOpt = None,
) -> None:
    """Put a staff member on or off shift."""
    from hub.crm.org import staff

    done = run(config, lambda s: staff.set_shift(session=s, scope=cli_scope(tenant),
               staff_id=staff_id, on_shift=on), write=True)  # fmt: skip
    _show_staff([done], "shift")


def staff_unknown(tenant: TenantOpt, config: ConfigOpt = None) -> None:
    """Staff codes the tills sent that no staff record has: rows kept and flagged."""
    from hub.crm.org.staff_refs import unknown_codes

    counts = run(config, lambda s: unknown_codes(s, tenant))
    table("unknown staff codes", ["code", "rows"], list(counts.items()))


def staff_resolve(tenant: TenantOpt, config: ConfigOpt = None) -> None:
    """Point flagged rows at the staff records that have their codes now."""
    from hub.crm.org.staff_refs import resolve_all_flagged

    done = run(config, lambda s: resolve_all_flagged(s, cli_scope(tenant)), write=True)
    typer.echo(f"resolved {done} rows")


def register(staff_app: typer.Typer) -> None:
    for name, command in (("list", staff_list), ("add", staff_add), ("update", staff_update),
                          ("leave", staff_leave), ("shift", staff_shift),
                          ("unknown", staff_unknown), ("resolve", staff_resolve)):  # fmt: skip
        staff_app.command(name)(command)
