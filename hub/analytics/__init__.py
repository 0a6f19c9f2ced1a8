"""Analytics: rollups of the event stream (and, next, the reports built on them)."""
