"""Importing customers and leads from CSV and spreadsheet files (docs/crm/import-export.md)."""
