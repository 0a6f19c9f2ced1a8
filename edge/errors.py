"""The gateway's error hierarchy. Third-party errors are mapped where they enter (`from exc`)."""


class EdgeError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(EdgeError):
    """The gateway config is missing or invalid; the message names each bad field."""


class ReaderError(EdgeError):
    """A reader could not be opened or read; the supervisor retries."""


class CardReadError(ReaderError):
    """A card was seen but its data was unreadable (garbage, APDU error, pulled mid-read)."""


class PosFrameError(EdgeError):
    """A POS frame was malformed: bad checksum, truncated, oversized, or unknown record."""

    def __init__(self, reason: str, raw: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


class OutboxFull(EdgeError):
    """The outbox reached its byte budget; the event was refused (nothing stored was dropped)."""
