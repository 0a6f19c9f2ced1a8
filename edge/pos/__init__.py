"""pos package."""
