"""Device emulators for the demo and the tests (never imported by edge or hub)."""
