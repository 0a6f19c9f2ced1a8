"""The cloud hub: ingest, CRM, rules and the web API."""
