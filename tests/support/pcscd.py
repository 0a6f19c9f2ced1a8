"""This test run's own pcscd (the daemon handling lives in the emulators).

`use_own_pcscd()` runs when pytest configures (tests/conftest.py), before any test touches
pyscard: it points this process's PC/SC clients, and the processes the tests start, at a
daemon of this run alone. The session fixture starts that daemon.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from storepulse.emulators.pcscd import VPCD_READER, Pcscd, list_readers, wait_card_state

__all__ = ["VPCD_READER", "Pcscd", "list_readers", "pcscd", "wait_card_state"]

RUN_DIR_ENV = "STOREPULSE_TEST_PCSCD_DIR"


def use_own_pcscd() -> None:
    directory = Path(tempfile.mkdtemp(prefix="sp-pcscd-"))  # short: a socket path <108 bytes
    os.environ[RUN_DIR_ENV] = str(directory)
    os.environ.update(Pcscd(directory).client_env())


def forget_own_pcscd() -> None:
    directory = os.environ.pop(RUN_DIR_ENV, None)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def pcscd() -> Iterator[Pcscd]:
    """The run's pcscd with the vpcd reader, for the whole session."""
    daemon = Pcscd(Path(os.environ[RUN_DIR_ENV])).ensure()
    yield daemon
    daemon.stop()
