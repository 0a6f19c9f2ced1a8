"""Households: family members linked as one unit (docs/crm/households.md)."""
