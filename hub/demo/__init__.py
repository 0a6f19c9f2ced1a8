"""The demo tenant: a pharmacy chain in Shanghai, seeded into an empty hub (idempotent)."""
