"""Exporting customers and leads to CSV and XLSX (docs/crm/import-export.md)."""
