"""Merging two customer records, reversibly (docs/crm/identities.md)."""
