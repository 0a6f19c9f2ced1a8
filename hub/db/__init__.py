"""Hub storage: engines, sessions, typed models, migrations."""

from hub.db.engine import make_engine, make_session_factory
from hub.db.migrate import migrate

__all__ = ["make_engine", "make_session_factory", "migrate"]
