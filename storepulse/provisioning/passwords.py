"""Per-gateway MQTT credentials in a Mosquitto password file, kept with the real
`mosquitto_passwd` (so the hash format is always the one the installed broker reads),
and the signal that makes a running broker re-read it.

Mosquitto re-reads password_file and acl_file on SIGHUP; in 2.x it also re-checks the
clients already connected and drops those whose user no longer exists (tested in
tests/deploy/test_broker_acl.py).
"""

import fcntl
import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storepulse.provisioning.errors import ProvisioningError
from wire.topics import GATEWAY_ID_PATTERN, is_gateway_id

log = logging.getLogger(__name__)

# Gateway ids start with a letter or digit (wire.topics.GATEWAY_ID_PATTERN), so a
# leading underscore keeps the hub's user name out of the gateways' name space. The rest
# is a gateway id's alphabet: nothing that could widen an ACL line or break a file.
DEFAULT_HUB_USER = "_hub"
HUB_USER = re.compile(r"_[A-Za-z0-9_.-]{1,63}")
HUB_USER_RULE = "'_' then letters, digits, '.', '_', '-' (64 at most), so never a gateway id"


def check_hub_user(value: str) -> str:
    """The hub's MQTT user name: never a gateway id, nothing that could widen an ACL line."""
    if HUB_USER.fullmatch(value) is None:
        raise ValueError(f"hub user {value!r}: must be {HUB_USER_RULE}")
    return value


PASSWORD_BYTES = 32  # 256 bits, url-safe base64: no ':' or whitespace for the file format


def check_gateway_id(gateway_id: str) -> str:
    """Gateway ids become MQTT user names and, through `%u`, topic levels: refuse
    anything the wire contract would refuse (that also excludes + # / and ':')."""
    if not is_gateway_id(gateway_id):
        raise ProvisioningError(
            f"bad gateway id {gateway_id!r}: must match {GATEWAY_ID_PATTERN} "
            "(letters, digits, '.', '_', '-'; starting with a letter or digit; 64 at most)"
        )
    return gateway_id


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def _passwd_binary() -> str:
    found = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if not os.path.exists(found):
        raise ProvisioningError("mosquitto_passwd not found: install the mosquitto package")
    return found


class PasswordFile:
    """One Mosquitto password file. Changes are serialised with a lock file beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def users(self) -> set[str]:
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return set()
        except OSError as exc:
            raise ProvisioningError(f"cannot read {self.path}: {exc}") from exc
        return {line.split(":", 1)[0] for line in lines if ":" in line}

    def set_password(self, user: str, password: str) -> None:
        """Add the user or replace its password."""
        if not password or any(c in password for c in ":\n\r"):
            raise ProvisioningError("password must be non-empty, without ':' or newlines")
        with self._locked():
            if not self.path.exists():
                self.path.touch(mode=0o600)
            self._run("-b", str(self.path), user, password)

    def delete(self, user: str) -> bool:
        """Remove the user; False when it was not there."""
        with self._locked():
            if user not in self.users():
                return False
            self._run("-D", str(self.path), user)
        return True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                yield
        except OSError as exc:
            raise ProvisioningError(f"cannot lock {lock_path}: {exc}") from exc

    def _run(self, *args: str) -> None:
        # The password is an argument for the few milliseconds the tool runs; run this
        # on the broker host only, as the user that owns the file.
        try:
            done = subprocess.run(
                [_passwd_binary(), *args], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProvisioningError(f"mosquitto_passwd failed to run: {exc}") from exc
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()
            raise ProvisioningError(f"mosquitto_passwd {args[0]} failed: {detail}")


def _refuse_the_other_listeners_file(passwords: PasswordFile, *, for_gateways: bool) -> None:
    """Gateways' accounts and the hub's live in separate files, one per listener: an
    account written into the other file would work on the other listener."""
    strangers = sorted(u for u in passwords.users() if is_gateway_id(u) != for_gateways)
    if strangers:
        owner, wanted = (
            ("the hub's", "password_file") if for_gateways else ("gateways'", "hub_password_file")
        )
        raise ProvisioningError(
            f"{passwords.path} holds {owner} account(s) {', '.join(strangers)}: it is the other "
            f"listener's password file; give the one the broker config names as {wanted}"
        )


def add_gateway(password_file: Path, gateway_id: str, *, replace: bool = False) -> str:
    """Give a gateway fresh credentials; return its new password (shown once).
    An existing gateway is refused unless `replace` (that is a rotation)."""
    user = check_gateway_id(gateway_id)
    passwords = PasswordFile(password_file)
    _refuse_the_other_listeners_file(passwords, for_gateways=True)
    if not replace and user in passwords.users():
        raise ProvisioningError(f"gateway {user} already has credentials; rotate to replace")
    password = new_password()
    passwords.set_password(user, password)
    log.info("broker credentials %s for gateway %s", "rotated" if replace else "added", user)
    return password


def set_hub_password(password_file: Path, user: str) -> str:
    """Create or rotate the hub's account in the hub listener's file; return the password."""
    try:
        check_hub_user(user)
    except ValueError as exc:
        raise ProvisioningError(str(exc)) from exc
    passwords = PasswordFile(password_file)
    _refuse_the_other_listeners_file(passwords, for_gateways=False)
    password = new_password()
    passwords.set_password(user, password)
    log.info("broker credentials set for the hub user %s", user)
    return password


def revoke_gateway(password_file: Path, gateway_id: str) -> bool:
    """Delete a gateway's credentials; False when it had none. Reload the broker after."""
    user = check_gateway_id(gateway_id)
    removed = PasswordFile(password_file).delete(user)
    log.info("broker credentials for gateway %s %s", user, "revoked" if removed else "absent")
    return removed


def reload_broker(pid: int) -> None:
    """SIGHUP: Mosquitto re-reads its password file and ACL file."""
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError as exc:
        raise ProvisioningError(f"no broker process {pid} to reload") from exc
    except PermissionError as exc:
        raise ProvisioningError(f"not allowed to signal broker process {pid}") from exc


def read_pid_file(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise ProvisioningError(f"cannot read a broker pid from {path}: {exc}") from exc
