"""Custom fields per tenant: typed definitions (definitions.py), values checked on every
write (values.py), the shipped templates (templates.py)."""
