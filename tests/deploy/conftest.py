from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.secured_broker import SecuredBroker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[SecuredBroker]:
    secured = SecuredBroker.prepare(tmp_path / "broker").start()
    try:
        yield secured
    finally:
        secured.stop()
