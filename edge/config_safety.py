"""What makes a gateway setting unsafe: secrets that are not secret, and links that leave
the box in clear.

A placeholder (the value a template or tutorial ships with) passes every length check and
is published with the template, so it is refused wherever a secret is read (tenant key,
MQTT password, POS hook token). A loopback address is the one place plain text is fine."""

import ipaddress

PLACEHOLDERS = frozenset({"changeme", "changethis", "secret", "password", ""})
# Words of the placeholders in firmware-config/ ("from-provisioning",
# "replace-with-a-long-random-token-...") and of the usual ones. Each has 7 characters or
# more, so a random token_urlsafe(32) holds one with a chance below 1e-8.
PLACEHOLDER_WORDS = (
    "replace",
    "changeme",
    "change-me",
    "placeholder",
    "from-provisioning",
    "example",
    "your-token",
    "your-password",
)


def is_placeholder(secret: str) -> bool:
    """True for a secret copied from a template or a tutorial, not made for this box."""
    folded = secret.strip().lower()
    return folded in PLACEHOLDERS or any(word in folded for word in PLACEHOLDER_WORDS)


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost`: traffic that never leaves the box."""
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere
