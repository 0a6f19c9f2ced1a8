"""Errors of the customer cache."""

from edge.errors import EdgeError


class CacheError(EdgeError):
    """The cache file could not be opened, read or written."""


class CacheVersionGap(CacheError):
    """A delta does not follow the cache's version; the cache is unchanged and the gateway
    should ask the hub for a resync (`cache.resync`)."""

    def __init__(self, current: int, base_version: int, version: int) -> None:
        super().__init__(
            f"cache delta {base_version}->{version} does not follow cache version {current}"
        )
        self.current = current
        self.base_version = base_version
        self.version = version
