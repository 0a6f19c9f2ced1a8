"""Errors raised while decoding wire messages."""


class WireError(ValueError):
    """A payload or topic that does not follow the contract; `reason` is short and loggable."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
