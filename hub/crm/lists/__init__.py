"""Customer lists: filtered, searched, keyset-paged, within the caller's scope."""
