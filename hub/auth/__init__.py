"""Who is calling and what they may see: users, passwords, tokens, API keys, roles, row
scopes, masking and the audit log. Imports nothing of the hub but hub.db and hub.errors."""
