"""Likely duplicate customers, found by matching rules that are data (rules.py)."""
