"""The organisation: regions, stores and staff, managed within the caller's scope."""
