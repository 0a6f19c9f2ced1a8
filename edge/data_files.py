"""The gateway's data files (outbox, cache) hold customer data: owner-only, 0600.

SQLite creates a new database file 0644 (less the umask) and gives its `-wal` and `-shm`
files the database file's mode, so the file is made 0600 before SQLite opens it, and a file
left by an older gateway is tightened.
"""

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def prepare_private_file(path: Path) -> None:
    """Make `path` (and its parent directory, if new) owner-only before SQLite opens it."""
    if not path.parent.exists():
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # an existing file is tightened below
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    for suffix in SQLITE_COMPANIONS:
        part = Path(f"{path}{suffix}")
        if part.exists() and part.stat().st_mode & 0o777 != FILE_MODE:
            part.chmod(FILE_MODE)
