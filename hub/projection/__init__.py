"""Consumers of the committed event stream: the CRM projection (and, next, rules and rollups)."""
