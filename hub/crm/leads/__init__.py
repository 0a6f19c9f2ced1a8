"""Leads from every channel (web form, phone system, WeCom, gateways) and their score."""
