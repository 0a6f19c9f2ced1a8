"""The `storepulse` command: composes edge and hub (which never import each other)."""

__version__ = "0.1.0"
