"""readers package."""
