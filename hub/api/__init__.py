"""The hub's HTTP API (FastAPI)."""

from hub.api.app import build_api

__all__ = ["build_api"]
