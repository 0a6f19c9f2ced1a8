"""The hub's secret for signing access tokens (HS256): from the settings, or, when they
have none, a random one kept in the data directory (0600) so tokens survive a restart."""

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

MIN_LENGTH = 32
PLACEHOLDERS = frozenset({"changeme", "changethis", "secret", "password"})
FILE_NAME = "auth-signing-key"


class BadSigningKey(ValueError):
    pass


def check_signing_key(secret: str) -> str:
    if secret.strip().lower() in PLACEHOLDERS or len(set(secret)) < 8:
        raise BadSigningKey("is a placeholder; set a random secret (e.g. openssl rand -hex 32)")
    if len(secret) < MIN_LENGTH:
        raise BadSigningKey(f"must be at least {MIN_LENGTH} characters")
    return secret


def load_or_create(data_dir: Path) -> str:
    """The key in `data_dir`, made on first use. Several hubs on one database need one
    key: set `auth_secret` for them instead."""
    path = data_dir / FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two hubs starting at once keep the first one's key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
            log.info("hub auth: no auth_secret set; made a signing key in %s", path)
    os.chmod(path, 0o600)
    return check_signing_key(path.read_text().strip())
