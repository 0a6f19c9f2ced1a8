"""Logging for every storepulse process: structlog JSON lines (readable lines on a tty)."""

import functools
import logging
import sys
from collections.abc import Callable

import structlog

_current_setup: Callable[[], None] | None = None


def current_setup() -> Callable[[], None] | None:
    """The last configuration as a picklable call, for child processes to repeat."""
    return _current_setup


def configure_logging(level: int = logging.INFO, json: bool | None = None) -> None:
    """Route stdlib logging (ours and the libraries') through structlog's formatter."""
    global _current_setup
    as_json = (not sys.stderr.isatty()) if json is None else json
    _current_setup = functools.partial(configure_logging, level, as_json)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
