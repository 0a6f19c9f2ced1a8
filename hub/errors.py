"""The hub's error hierarchy. Third-party errors are mapped where they enter (`from exc`)."""


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(HubError):
    """The hub settings are missing or invalid; the message names each bad field."""


class StorageError(HubError):
    """The database could not be reached, migrated or set up."""


class RejectedError(HubError):
    """Input the hub refuses; `reason` is short and loggable, `detail` says what exactly."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class BatchRejected(RejectedError):
    """A whole batch is refused (unknown, revoked or mismatched gateway)."""


class EventRejected(RejectedError):
    """One event could not be applied to the CRM (e.g. it names an unknown customer)."""


class NotFound(HubError):
    """A requested record does not exist."""


class Forbidden(HubError):
    """The caller is known but their role may not do this (403; a row out of scope is
    NotFound instead, as if it did not exist)."""


class Unprocessable(HubError):
    """The request is well formed but names what cannot be (422). Each problem is a
    (location, message) pair, location as in a validation error (["body", "successors"]),
    so the answer has the shape of FastAPI's own 422s."""

    def __init__(self, *problems: tuple[list[str], str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{'.'.join(loc)}: {msg}" for loc, msg in problems))


class Conflict(HubError):
    """The request contradicts the state of a record (HTTP 409): an identifier another
    customer holds, a merge already undone, a customer already merged away."""
