"""Who may use the store page: paired devices, signed-in clerks, the right Host.

A device pairs once with a short-lived code made by `storepulse edge pair-device` and gets
a long-lived cookie (`registry.py`, `pairing.py`); the gateway keeps only its hash in
`devices.sqlite3`, which the CLI and the running gateway share, so a code made by the CLI
works on the running page and a revocation takes effect at once. A clerk signs in on a
paired device with their staff id and PIN (`clerks.py`), and `prompt.acted` carries that
staff id. `guard.py` refuses a wrong Host before anything else (DNS rebinding);
`access.py` holds the FastAPI dependencies (cookie, CSRF token, Origin) and `routes.py`
the pairing and sign-in endpoints. docs/store-page.md, "Device pairing", has the design.
"""
