"""The gateway's local customer cache (SQLite), kept current by hub deltas."""

from edge.cache.errors import CacheError, CacheVersionGap
from edge.cache.store import ApplyResult, CustomerCache

__all__ = ["ApplyResult", "CacheError", "CacheVersionGap", "CustomerCache"]
