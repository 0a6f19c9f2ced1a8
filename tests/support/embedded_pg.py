"""The embedded PostgreSQL 18 (hub/db/embedded.py) as a test server.

Its data directory is a private temporary one, not under pytest's tmp_path: the server
account must pass through every parent (hub/db/embedded.py opens them for traversal), and
pytest keeps its own base directory private to us.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hub.db.embedded import EmbeddedPostgres


@contextmanager
def private_data_dir() -> Iterator[Path]:
    """A fresh directory for one embedded server's data; removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="sp-embedded-"))
    try:
        yield root / "hub"
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def embedded_server() -> Iterator[EmbeddedPostgres]:
    """A started embedded server in a private directory; stopped and removed afterwards."""
    with private_data_dir() as data_dir:
        server = EmbeddedPostgres(data_dir)
        server.start()
        try:
            yield server
        finally:
            server.stop()
