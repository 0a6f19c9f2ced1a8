"""The gateway's data files hold customer data: the outbox and the cache, with SQLite's
-wal and -shm files, are created 0600 in a 0700 directory whatever the umask, and a file an
older gateway left world-readable is tightened when it is opened."""

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.cache import CustomerCache
from edge.outbox import Outbox
from wire.events import ReaderStatus
from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual one: SQLite alone would make files 0644
    yield
    os.umask(old)


def _modes(directory: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in sorted(directory.iterdir())}


def _use_both(data: Path) -> None:
    outbox = Outbox(data / "outbox.sqlite3", "gw-1")
    outbox.open()
    outbox.append(ReaderStatus(reader="nfc-1", kind="nfc", state="up"))
    outbox.dead_letter("pos_http", "bad_value: x", b"{}")
    cache = CustomerCache(data / "cache.sqlite3").open()
    customer = CachedCustomer(
        customer_id="c1",
        display_name="Wang *",
        identifiers=[Identifier(kind=IdentifierKind.MEMBER_NO, value="M1")],
        updated_at=datetime.now(UTC),
    )
    cache.replace_all([customer], version=1)
    outbox.close()  # the -wal and -shm files exist while open; check them before closing
    cache.close()


def test_new_data_files_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    outbox = Outbox(data / "outbox.sqlite3", "gw-1")
    outbox.open()
    outbox.append(ReaderStatus(reader="nfc-1", kind="nfc", state="up"))
    cache = CustomerCache(data / "cache.sqlite3").open()
    modes = _modes(data)
    assert set(modes) >= {
        "outbox.sqlite3", "outbox.sqlite3-wal", "outbox.sqlite3-shm",
        "cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm",
    }  # fmt: skip
    assert modes == dict.fromkeys(modes, 0o600)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    outbox.close()
    cache.close()
    _use_both(data)
    assert set(_modes(data).values()) == {0o600}


def test_a_world_readable_file_of_an_older_gateway_is_tightened(tmp_path: Path) -> None:
    _use_both(tmp_path)
    for path in tmp_path.iterdir():
        path.chmod(0o644)
    _use_both(tmp_path)
    assert set(_modes(tmp_path).values()) == {0o600}
