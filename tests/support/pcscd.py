"""The pcscd fixture for smart-card tests (the daemon handling lives in the emulators)."""

from collections.abc import Iterator

import pytest

from storepulse.emulators.pcscd import VPCD_READER, Pcscd, list_readers, wait_card_state

__all__ = ["VPCD_READER", "Pcscd", "list_readers", "pcscd", "wait_card_state"]


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    """A pcscd with the vpcd reader, for the whole session."""
    daemon = Pcscd(tmp_path_factory.mktemp("pcscd") / "pcscd.log").ensure()
    yield daemon
    daemon.stop()
