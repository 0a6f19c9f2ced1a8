"""`storepulse hub org …` against a seeded PostgreSQL through a hub TOML file: tables out,
writes in (as an admin of --tenant), errors that say what is wrong with an exit code."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.db.models import Purchase, Staff, Store
from hub.demo.seed import SeedResult
from storepulse.cli import app
from storepulse.org_support import parse_hours
from tests.hub.conftest import TENANT_KEY

runner = CliRunner()


@pytest.fixture
def hub_config(tmp_path: Path, db_url: str, seeded: SeedResult) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(f'database_url = "{db_url}"\ntenant_key = "{TENANT_KEY.decode()}"\n')
    return path


def _org(config: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["hub", "org", *args, "--tenant", "tenant-demo", "--config", str(config)],
        env={"COLUMNS": "300"},
    )
    return result.exit_code, result.output


def test_lists_show_the_tenants_organisation(hub_config: Path) -> None:
    code, out = _org(hub_config, "stores", "list", "--region", "region-hz")
    assert code == 0, out
    assert "store-hz-xihu" in out and "store-hz-binjiang" in out and "store-sh-xuhui" not in out
    code, out = _org(hub_config, "staff", "list", "--role", "field_engineer")
    assert code == 0 and "F01" in out and "彭志强" in out and "S07" not in out
    code, out = _org(hub_config, "regions", "list", "--limit", "1")
    assert code == 0 and "region-hz" in out and "more: --after region-hz" in out


def test_adds_updates_and_leaves(hub_config: Path, sessions: sessionmaker[Session]) -> None:
    code, out = _org(hub_config, "stores", "add", "--id", "store-hz-gongshu", "--region",
                     "region-hz", "--name", "拱墅店", "--address", "杭州市拱墅区莫干山路100号",
                     "--lat", "30.2880", "--lon", "120.1500", "--hours", "mon-sat=08:30-21:30",
                     "--hours", "sun=10:00-18:00")  # fmt: skip
    assert code == 0, out
    code, out = _org(hub_config, "staff", "add", "--code", "S41", "--name", "严芳", "--role",
                     "staff", "--store", "store-hz-gongshu", "--skill", "tcm", "--phone",
                     "+8613801010141")  # fmt: skip
    assert code == 0, out
    with sessions() as s:
        store = s.get(Store, "store-hz-gongshu")
        person = s.scalars(select(Staff).where(Staff.code == "S41")).one()
    assert store is not None and store.opening_hours["sun"] == [["10:00", "18:00"]]
    assert len(store.opening_hours) == 7 and (store.latitude, store.longitude) == (30.288, 120.15)
    assert (person.region_id, person.skills) == ("region-hz", ["tcm"])
    code, out = _org(hub_config, "staff", "update", person.id, "--skill", "pharmacist")
    assert code == 0, out
    code, out = _org(hub_config, "staff", "shift", person.id, "--on")
    assert code == 0 and "on" in out
    code, out = _org(hub_config, "staff", "leave", person.id)
    assert code == 0 and "left" in out
    with sessions() as s:
        gone = s.get(Staff, person.id)
    assert gone is not None and (gone.status, gone.skills, gone.on_shift) == (
        "left", ["pharmacist"], False
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (("staff", "add", "--code", "S07", "--name", "x", "--role", "staff"), 1, "S07 is taken"),
        (("staff", "add", "--code", "S42", "--name", "x", "--role", "boss"), 2, "--role"),
        (("staff", "add", "--code", "S43", "--name", "x", "--role", "staff", "--phone",
          "12345"), 2, "--phone"),
        (("stores", "update", "store-nowhere", "--name", "x"), 1, "not found: store"),
        (("stores", "update", "store-sh-xuhui", "--lat", "31.2"), 2, "--lat/--lon longitude"),
        (("stores", "update", "store-sh-xuhui", "--hours", "mon=9-21"), 2, "--hours"),
        (("stores", "update", "store-sh-xuhui", "--time-zone", "Asia/Shang_hai"), 2,
         "--time-zone"),
    ],
)  # fmt: skip
def test_errors_name_the_problem(
    hub_config: Path, args: tuple[str, ...], exit_code: int, message: str
) -> None:
    code, out = _org(hub_config, *args)
    assert code == exit_code, out
    assert message in out.replace("\n", " ")


def test_unknown_codes_are_listed_and_resolved_by_adding_the_code(
    hub_config: Path, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as s:  # as the projection keeps a till's code nobody has
        sold = Purchase(
            tenant_id="tenant-demo",
            store_id="store-sh-xuhui",
            receipt_no="R-98",
            at=datetime.now(UTC),
            total=100,
            staff_id="S98",
            staff_unknown=True,
        )
        s.add(sold)
    code, out = _org(hub_config, "staff", "unknown")
    assert code == 0 and re.search(r"S98\s*│\s*1\b", out), out
    code, out = _org(hub_config, "staff", "add", "--code", "S98", "--name", "补录",
                     "--role", "staff", "--store", "store-sh-xuhui")  # fmt: skip
    assert code == 0, out
    code, out = _org(hub_config, "staff", "unknown")
    assert code == 0 and "S98" not in out
    code, out = _org(hub_config, "staff", "resolve")
    # Adding it resolved them already. (The migration before the command logs to stderr.)
    assert (code, out.strip().splitlines()[-1]) == (0, "resolved 0 rows")


def test_a_bad_config_exits_2(tmp_path: Path) -> None:
    code, out = _org(tmp_path / "missing.toml", "regions", "list")
    assert code == 2 and "no such file" in out


def test_hours_syntax() -> None:
    assert parse_hours(["mon-wed=09:00-12:00,13:00-18:00", "sat,sun=10:00-02:00"]) == {
        "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
        "tue": [["09:00", "12:00"], ["13:00", "18:00"]],
        "wed": [["09:00", "12:00"], ["13:00", "18:00"]],
        "sat": [["10:00", "02:00"]],
        "sun": [["10:00", "02:00"]],
    }
